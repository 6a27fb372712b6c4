"""``/api/v1/deliveries``: admin sees deliveries and their attempts and retries failed ones."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis311.errors import PROBLEM_JSON
from gis311.notify import deliveries, fanout, subscriptions
from registry import intake
from tests.conftest import api_key, bearer
from tests.gis311.notify import grid

URL = "/api/v1/deliveries"


@pytest.fixture
def failed(db: psycopg.Connection) -> list[int]:
    """Three deliveries to council:1, the two oldest failed after one attempt each."""
    grid.build(db)
    subscriptions.create(db, subscriptions.NewSubscription(
        district="council:1", channel="webhook", url="http://127.0.0.1:9/hook"))
    lon, lat = grid.centre("1")
    for i in range(3):
        intake.file_case(db, intake.CaseReport("pothole", lon + i * 1e-4, lat))
    fanout.fan_out_all(db, public_url="http://test")
    jobs = deliveries.claim(db, limit=2, lease_seconds=30)
    policy = deliveries.Retry(max_attempts=1)
    for job in jobs:
        outcome = deliveries.Outcome(False, 503, "HTTP 503: busy", 40)
        deliveries.record(db, [(job, outcome)], policy)
    return sorted(item.pk for job in jobs for item in job.items)


@pytest.fixture
def keys(db: psycopg.Connection) -> dict[str, dict[str, str]]:
    return {
        "admin": bearer(api_key(db, "admin")),
        "councilor": bearer(api_key(db, "councilor", districts=["council:1"])),
        "staff": bearer(api_key(db, "staff", departments=["Public Works"])),
        "public": {},
    }


def test_admin_lists_failed_deliveries(client: TestClient, failed, keys) -> None:
    response = client.get(URL, params={"status": "failed"}, headers=keys["admin"])
    assert response.status_code == 200, response.text
    listed = response.json()["deliveries"]
    assert [d["id"] for d in listed] == sorted(failed, reverse=True)
    first = listed[0]
    assert first["status"] == "failed" and first["attempts"] == 1
    assert first["last_status_code"] == 503 and first["last_error"] == "HTTP 503: busy"
    assert first["district"] == "council:1" and first["channel"] == "webhook"
    assert first["event"] == "case.created" and first["case_number"]
    assert first["next_attempt_at"] is None and first["attempt_log"] is None
    everything = client.get(URL, headers=keys["admin"]).json()["deliveries"]
    assert len(everything) == 3


def test_paging(client: TestClient, failed, keys) -> None:
    page = client.get(URL, params={"limit": 2}, headers=keys["admin"]).json()
    assert len(page["deliveries"]) == 2 and page["next"] is not None
    rest = client.get(page["next"], headers=keys["admin"]).json()
    assert len(rest["deliveries"]) == 1 and rest["next"] is None


def test_one_delivery_with_its_attempt_log(client: TestClient, failed, keys) -> None:
    response = client.get(f"{URL}/{failed[0]}", headers=keys["admin"])
    assert response.status_code == 200
    (attempt,) = response.json()["attempt_log"]
    assert attempt["status_code"] == 503 and attempt["error"] == "HTTP 503: busy"
    assert attempt["duration_ms"] == 40 and attempt["finished_at"] is not None


def test_admin_retries_a_failed_delivery(client: TestClient, failed, keys, db) -> None:
    before = client.get(f"{URL}/{failed[0]}", headers=keys["admin"]).json()
    response = client.post(f"{URL}/{failed[0]}/retry", headers=keys["admin"])
    assert response.status_code == 200, response.text
    retried = response.json()
    assert retried["status"] == "pending" and retried["attempts"] == 0
    assert retried["delivery_id"] == before["delivery_id"]
    assert retried["next_attempt_at"] is not None
    claimed = {item.pk: item for job in deliveries.claim(db, limit=10, lease_seconds=30)
               for item in job.items}
    assert str(claimed[failed[0]].delivery_id) == before["delivery_id"]
    again = client.post(f"{URL}/{failed[0]}/retry", headers=keys["admin"])
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"delivery {failed[0]} is pending; only failed deliveries can be retried"
    )
    assert client.post(f"{URL}/999999/retry", headers=keys["admin"]).status_code == 404


@pytest.mark.parametrize(("role", "status"), [("public", 401), ("staff", 403), ("councilor", 403)])
def test_only_admin_lists(client: TestClient, failed, keys, role: str, status: int) -> None:
    response = client.get(URL, params={"status": "failed"}, headers=keys[role])
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON


@pytest.mark.parametrize("role", ["public", "staff", "councilor"])
def test_single_deliveries_are_404_to_others(client: TestClient, failed, keys, role) -> None:
    assert client.get(f"{URL}/{failed[0]}", headers=keys[role]).status_code == 404
    response = client.post(f"{URL}/{failed[0]}/retry", headers=keys[role])
    assert response.status_code == 404
    assert response.json()["detail"] == f"no delivery {failed[0]}"


def test_a_bad_status_filter_is_422(client: TestClient, keys) -> None:
    response = client.get(URL, params={"status": "lost"}, headers=keys["admin"])
    assert response.status_code == 422
