"""``GET /healthz``."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gis311 import migrate


def test_health_reports_postgis_and_revision(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "reachable"
    assert body["postgis_version"].startswith("3.")
    assert body["migration_revision"] == migrate.head_revision()


def test_openapi_is_served(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["info"]["title"] == "gis311"
    assert client.get("/docs").status_code == 200
