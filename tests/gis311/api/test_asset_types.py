"""``GET /api/v1/asset-types``."""

from __future__ import annotations

import psycopg
from fastapi.testclient import TestClient

from registry import catalog, catalog_file
from tests.conftest import REPO


def test_asset_types(client: TestClient, db: psycopg.Connection) -> None:
    assert client.get("/api/v1/asset-types").json() == {"asset_types": []}
    catalog.load(db, catalog_file.read(REPO / "catalog.example.yaml"))
    body = client.get("/api/v1/asset-types").json()
    by_code = {t["code"]: t for t in body["asset_types"]}
    light = by_code["streetlight"]
    assert light["geometry_kind"] == "point" and light["snap_radius_m"] == 30
    assert light["id_field"] == "PoleID"
    assert {"name": "owner", "type": "enum", "required": False, "values": ["City", "Private"],
            "source": "Owner", "description": ""} in light["attributes"]
    assert "streetlight_out" in light["service_codes"]
    assert by_code["road_segment"]["service_codes"] == ["pothole"]
    one = client.get("/api/v1/asset-types/hydrant")
    assert one.status_code == 200 and one.json()["department"] == "Water"
    missing = client.get("/api/v1/asset-types/bench")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "no asset type 'bench'"
