"""``/api/v1/subscriptions``: councilors manage their own districts' subscriptions, admin all;
out-of-scope subscriptions are 404, creating where not allowed 401/403."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis311.errors import PROBLEM_JSON
from tests.conftest import api_key, bearer
from tests.gis311.notify import grid

URL = "/api/v1/subscriptions"
HOOK = "https://office.example/hooks/311"


@pytest.fixture
def keys(db: psycopg.Connection) -> dict[str, dict[str, str]]:
    grid.build(db)
    return {
        "admin": bearer(api_key(db, "admin")),
        "councilor": bearer(api_key(db, "councilor", districts=["council:1", "council:2"])),
        "other_councilor": bearer(api_key(db, "councilor", districts=["council:3"])),
        "staff": bearer(api_key(db, "staff", departments=["Public Works"])),
        "crew": bearer(api_key(db, "crew", departments=["Public Works"])),
        "reporter_app": bearer(api_key(db, "reporter_app")),
        "public": {},
    }


def create(client: TestClient, headers: dict[str, str], **body):
    payload = {"district": "council:1", "channel": "webhook", "url": HOOK, **body}
    return client.post(URL, json=payload, headers=headers)


def test_a_councilor_subscribes_to_its_district_and_sees_the_secret_once(
    client: TestClient, keys
) -> None:
    response = create(client, keys["councilor"], service_codes=["pothole"])
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["district"] == "council:1" and created["layer"] == "council"
    assert created["service_codes"] == ["pothole"] and created["digest"] == "immediate"
    assert response.headers["location"] == f"{URL}/{created['id']}"
    got = client.get(f"{URL}/{created['id']}", headers=keys["councilor"])
    assert got.status_code == 200
    assert "secret" not in got.json() and created["secret"] not in got.text
    listed = client.get(URL, headers=keys["councilor"]).json()["subscriptions"]
    assert [s["id"] for s in listed] == [created["id"]]
    assert created["secret"] not in client.get(URL, headers=keys["admin"]).text


@pytest.mark.parametrize(
    ("role", "status"),
    [("public", 401), ("staff", 403), ("crew", 403), ("reporter_app", 403),
     ("other_councilor", 403)],
)
def test_creating_where_not_allowed(client: TestClient, keys, role: str, status: int) -> None:
    response = create(client, keys[role])
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON


def test_out_of_scope_subscriptions_are_404_for_reads_and_deletes(
    client: TestClient, keys
) -> None:
    sub = create(client, keys["councilor"]).json()["id"]
    for role in ("other_councilor", "staff", "crew", "reporter_app", "public"):
        for method in ("GET", "DELETE"):
            response = client.request(method, f"{URL}/{sub}", headers=keys[role])
            assert response.status_code == 404, (role, method)
            assert response.json()["detail"] == f"no subscription {sub}"
    # ... exactly as a subscription that does not exist.
    assert client.get(f"{URL}/999999", headers=keys["admin"]).status_code == 404
    assert client.get(f"{URL}/{sub}", headers=keys["councilor"]).status_code == 200


def test_listing_is_scoped(client: TestClient, keys) -> None:
    mine = create(client, keys["councilor"], district="council:2").json()["id"]
    theirs = create(client, keys["other_councilor"], district="council:3").json()["id"]
    by_admin = create(client, keys["admin"], district="police:A").json()["id"]

    def listed(role: str) -> list[int]:
        response = client.get(URL, headers=keys[role])
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()["subscriptions"]]

    assert listed("councilor") == [mine]
    assert listed("other_councilor") == [theirs]
    assert listed("admin") == [mine, theirs, by_admin]
    assert client.get(URL, headers=keys["staff"]).status_code == 403
    assert client.get(URL).status_code == 401


def test_admin_manages_every_district(client: TestClient, keys) -> None:
    sub = create(client, keys["admin"], district="council:7").json()
    assert sub["created_by"] is not None
    assert client.get(f"{URL}/{sub['id']}", headers=keys["admin"]).status_code == 200
    assert client.get(f"{URL}/{sub['id']}", headers=keys["councilor"]).status_code == 404
    assert client.delete(f"{URL}/{sub['id']}", headers=keys["admin"]).status_code == 204


def test_delete_stops_the_subscription(client: TestClient, keys) -> None:
    sub = create(client, keys["councilor"]).json()["id"]
    assert client.delete(f"{URL}/{sub}", headers=keys["councilor"]).status_code == 204
    assert client.get(f"{URL}/{sub}", headers=keys["councilor"]).status_code == 404
    assert client.delete(f"{URL}/{sub}", headers=keys["councilor"]).status_code == 404
    assert client.get(URL, headers=keys["admin"]).json()["subscriptions"] == []


def test_email_subscriptions_default_to_the_district_office(client: TestClient, keys) -> None:
    response = create(client, keys["councilor"], channel="email", url=None, digest="daily")
    assert response.status_code == 201, response.text
    sub = response.json()
    assert sub["email"] == "council1@city.example" and sub["url"] is None
    assert sub["secret"] is None and sub["digest"] == "daily"
    given = create(client, keys["councilor"], channel="email", url=None,
                   email="aide@council.example").json()
    assert given["email"] == "aide@council.example"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"district": "council:99"}, "district council:99: layer council has no district '99'"),
        ({"district": "nope:1"}, "district nope:1: no boundary layer 'nope'"),
        ({"district": "council"}, "district 'council' must be LAYER:CODE, e.g. ward:3"),
        ({"url": None}, "url: a webhook subscription needs one"),
        ({"url": "ftp://office.example/x"}, "url 'ftp://office.example/x' must be an http:// or "
                                            "https:// URL with a host"),
        ({"url": "https:///path"}, "url 'https:///path' must be an http:// or https:// URL with "
                                   "a host"),
        ({"digest": "daily"}, "digest: webhooks are sent immediately; digests are for email"),
        ({"service_codes": ["pothole", "nope"]}, "service_codes: unknown service nope"),
        ({"channel": "email", "url": None, "email": "not an address"},
         "email 'not an address' is not a plain address like office@city.gov"),
        ({"channel": "email", "url": None, "email": "a@b.example\r\nBcc: x@y.example"},
         None),
    ],
)
def test_bad_subscriptions_are_422(client: TestClient, keys, body, detail) -> None:
    response = create(client, keys["admin"], **body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    if detail is not None:
        assert response.json()["detail"] == detail


def test_the_schema_refuses_unknown_fields_and_channels(client: TestClient, keys) -> None:
    assert create(client, keys["admin"], color="red").status_code == 422
    assert create(client, keys["admin"], channel="sms").status_code == 422
    assert create(client, keys["admin"], service_codes=[]).status_code == 422
