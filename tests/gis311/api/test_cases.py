"""``/api/v1/cases`` over HTTP (routes on the test's rolled-back connection)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis311.app import create_app
from gis311.errors import PROBLEM_JSON
from gis311.settings import Settings
from tests.conftest import api_key, bearer, bind
from tests.registry import city

LON, LAT = city.CENTRE


@pytest.fixture
def api(settings: Settings, db: psycopg.Connection) -> Iterator[TestClient]:
    city.build(db)
    db.execute("UPDATE registry.service SET department = 'Public Works'")
    app = create_app(settings.model_copy(update={"jurisdiction_layer": "ward"}))
    bind(app, db)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers.update(bearer(api_key(db, "staff", departments=["Public Works"])))
        yield client


def _post(api: TestClient, headers: dict[str, str] | None = None, **body):
    payload = {"service_code": "pothole", "lat": LAT, "lon": LON, **body}
    return api.post("/api/v1/cases", json=payload, headers=headers or {})


def test_post_files_a_case_and_get_reads_it_back(api: TestClient, db: psycopg.Connection) -> None:
    app = bearer(api_key(db, "reporter_app"))
    response = _post(api, app, description="deep", reporter={"email": "ada@example.org"})
    assert response.status_code == 201, response.text
    case = response.json()
    assert response.headers["location"] == f"/api/v1/cases/{case['number']}"
    assert case["districts"]["ward"]["code"] == "1"
    assert "ada@example.org" not in response.text and "reporter" not in case
    # The department's staff see the contact; the public does not.
    assert api.get(f"/api/v1/cases/{case['number']}").json()["reporter"] == {
        "email": "ada@example.org"}
    got = api.get(f"/api/v1/cases/{case['number']}", headers={"Authorization": ""}).json()
    assert "reporter" not in got
    assert got["number"] == case["number"]
    assert [h["kind"] for h in got["history"]] == ["created"]
    assert got["duplicates"] == []


def test_repeat_report_shows_parent_and_count(api: TestClient) -> None:
    first = _post(api).json()
    lon, lat = city.offset(LON, LAT, 10, 5)
    second = _post(api, lon=lon, lat=lat).json()
    assert second["parent"] == first["number"] and second["closure_reason"] == "duplicate"
    parent = api.get(f"/api/v1/cases/{first['number']}").json()
    assert parent["duplicate_count"] == 1 and parent["duplicates"] == [second["number"]]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"service_code": "nope"}, "unknown service_code"),
        ({"lat": 91}, "lat"),
        ({"lon": -181}, "lon"),
        ({"description": "x" * 4001}, "description"),
        ({"colour": "red"}, "colour"),
        ({"lat": 40.0, "lon": -74.0}, "outside the jurisdiction"),
        ({"asset_id": "SL-404", "service_code": "streetlight_out"}, "does not exist"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_reports_are_422_and_store_nothing(
    api: TestClient, db: psycopg.Connection, body: dict, needle: str
) -> None:
    response = _post(api, **body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert needle in response.json()["detail"]
    assert db.execute("SELECT count(*) FROM registry.service_case").fetchone() == (0,)


def test_nan_coordinates_are_422(api: TestClient) -> None:
    response = api.post(
        "/api/v1/cases", content=b'{"service_code": "pothole", "lat": NaN, "lon": -71.1}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422


def test_idempotency_key_replays_refuses_other_body_and_is_per_client(
    api: TestClient, db: psycopg.Connection
) -> None:
    app_one, app_two = api_key(db, "reporter_app"), api_key(db, "reporter_app")
    key = {"Idempotency-Key": "abc-123", **bearer(app_one)}
    first = _post(api, key, description="one")
    again = _post(api, key, description="one")
    assert (again.status_code, again.text) == (first.status_code, first.text)
    clash = _post(api, key, description="two")
    assert clash.status_code == 422 and "Idempotency-Key" in clash.json()["detail"]
    other = _post(api, {"Idempotency-Key": "abc-123", **bearer(app_two)}, description="one")
    assert other.status_code == 201 and other.json()["number"] != first.json()["number"]


def test_patch_changes_status_with_history(api: TestClient) -> None:
    number = _post(api).json()["number"]
    response = api.patch(f"/api/v1/cases/{number}",
                         json={"status": "closed", "closure_reason": "resolved", "note": "fixed"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"
    assert response.json()["history"][-1]["note"] == "fixed"
    bad = api.patch(f"/api/v1/cases/{number}", json={"status": "closed"})
    assert bad.status_code == 422
    assert api.patch("/api/v1/cases/26-99999999", json={"note": "x"}).status_code == 404
    assert api.patch(f"/api/v1/cases/{number}", json={}).status_code == 422


def test_duplicate_of_and_split(api: TestClient) -> None:
    a = _post(api).json()["number"]
    lon, lat = city.offset(LON, LAT, 200, 0)
    b = _post(api, lon=lon, lat=lat).json()["number"]
    marked = api.post(f"/api/v1/cases/{b}/duplicate-of", json={"parent": a})
    assert marked.status_code == 200 and marked.json()["parent"] == a
    split = api.post(f"/api/v1/cases/{b}/split", json={"note": "not the same"})
    assert split.status_code == 200 and split.json()["status"] == "open"
    assert api.post(f"/api/v1/cases/{b}/split", json={}).status_code == 409


def test_list_filters_and_follows_next(api: TestClient) -> None:
    numbers = [_post(api, lon=city.offset(LON, LAT, 100 * i, 0)[0]).json()["number"]
               for i in range(3)]
    seen: list[str] = []
    url: str | None = "/api/v1/cases?limit=2&district=ward:1&status=open"
    while url:
        page = api.get(url).json()
        seen += [c["number"] for c in page["cases"]]
        url = page["next"]
    assert seen == list(reversed(numbers))
    assert api.get("/api/v1/cases?district=ward:2").json()["cases"] == []
    assert api.get("/api/v1/cases?district=ward").status_code == 422
    assert api.get("/api/v1/cases?bbox=1,2,3").status_code == 422
    assert api.get("/api/v1/cases?status=lost").status_code == 422
    assert api.get("/api/v1/cases?cursor=garbage").status_code == 422
