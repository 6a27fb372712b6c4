"""``GET /api/v1/me``: the caller's role and scope."""

from __future__ import annotations

import psycopg
from fastapi.testclient import TestClient

from gis311 import keys


def test_without_a_key_the_caller_is_public(client: TestClient) -> None:
    assert client.get("/api/v1/me").json() == {
        "role": "public", "key_id": None, "name": None, "departments": [], "districts": []}


def test_a_key_says_its_role_and_scope(client: TestClient, db: psycopg.Connection) -> None:
    created = keys.create(db, role="councilor", districts=["ward:3"], name="Ward 3 office")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {created.key}"}).json()
    assert me == {"role": "councilor", "key_id": created.info.id, "name": "Ward 3 office",
                  "departments": [], "districts": ["ward:3"]}


def test_an_unknown_key_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer g311_" + "x" * 43})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
