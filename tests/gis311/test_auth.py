"""Callers named by their API key: ``key:<id>`` scopes idempotency and names the actor."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis311 import keys
from gis311.app import create_app
from gis311.settings import Settings
from tests.conftest import bind
from tests.registry import city


@pytest.fixture
def api(settings: Settings, db: psycopg.Connection) -> Iterator[TestClient]:
    city.build(db)
    app = create_app(settings.model_copy(update={"tile_cache_mb": 0}))
    bind(app, db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _file(api: TestClient, headers: dict[str, str]):
    body = {"service_code": "pothole", "lat": city.CENTRE[1], "lon": city.CENTRE[0]}
    return api.post("/api/v1/cases", json=body, headers={"Idempotency-Key": "k1", **headers})


def test_a_valid_key_is_the_client_and_the_actor(
    api: TestClient, db: psycopg.Connection
) -> None:
    created = keys.create(db, role="reporter_app")
    response = _file(api, {"Authorization": f"Bearer {created.key}"})
    assert response.status_code == 201, response.text
    number = response.json()["number"]
    row = db.execute(
        "SELECT c.client, e.actor FROM registry.service_case c "
        "JOIN registry.case_event e ON e.case_id = c.id WHERE c.number = %s", (number,),
    ).fetchone()
    assert row == (f"key:{created.info.id}", f"key:{created.info.id}")
    assert created.key not in api.get(f"/api/v1/cases/{number}").text
    # The idempotency key is the key holder's: another key does not share it.
    assert _file(api, {"Authorization": f"Bearer {created.key}"}).json()["number"] == number
    other = keys.create(db, role="reporter_app")
    assert _file(api, {"Authorization": f"Bearer {other.key}"}).json()["number"] != number


def test_no_key_may_read_but_not_file(api: TestClient) -> None:
    response = _file(api, {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.get("/api/v1/cases").status_code == 200


def test_an_invalid_or_revoked_key_is_401_not_public(
    api: TestClient, db: psycopg.Connection
) -> None:
    assert api.get("/api/v1/cases", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    created = keys.create(db, role="reporter_app")
    keys.revoke(db, created.info.id)
    response = api.get("/api/v1/cases", headers={"Authorization": f"Bearer {created.key}"})
    assert response.status_code == 401
