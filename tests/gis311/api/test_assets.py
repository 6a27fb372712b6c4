"""``/api/v1/assets``: GeoJSON out, validation as problem+json, history, nearest, pages."""

from __future__ import annotations

from urllib.parse import quote

import psycopg
import pytest
from fastapi.testclient import TestClient

from registry import catalog, catalog_file
from tests.conftest import REPO, api_key, bearer

LON, LAT = -71.1000, 42.3700
PROBLEM = "application/problem+json"


def _pt(east_m: float, north_m: float = 0.0) -> dict:
    return {"type": "Point", "coordinates": [LON + east_m / 82_350, LAT + north_m / 111_060]}


@pytest.fixture
def api(client: TestClient, db: psycopg.Connection) -> TestClient:
    catalog.load(db, catalog_file.read(REPO / "catalog.example.yaml"))
    key = api_key(db, "admin")
    key_id = db.execute("SELECT id FROM gis311.api_key WHERE key_prefix = %s",
                        (key[:12],)).fetchone()
    assert key_id is not None
    # The actor history records for this client (not a header the API reads).
    client.headers.update({**bearer(key), "x-actor": f"key:{key_id[0]}"})
    return client


def test_writes_need_a_key_of_the_types_department(
    api: TestClient, db: psycopg.Connection
) -> None:
    body = {"type": "streetlight", "geometry": _pt(0), "asset_id": "SL-ROLE"}
    assert api.post("/api/v1/assets", json=body, headers={"Authorization": ""}).status_code == 401
    water = bearer(api_key(db, "staff", departments=["Water"]))
    assert api.post("/api/v1/assets", json=body, headers=water).status_code == 403
    councilor = bearer(api_key(db, "councilor", districts=["ward:1"]))
    assert api.post("/api/v1/assets", json=body, headers=councilor).status_code == 403
    electrical = bearer(api_key(db, "staff", departments=["Electrical"]))
    assert api.post("/api/v1/assets", json=body, headers=electrical).status_code == 201
    crew = bearer(api_key(db, "crew", departments=["Electrical"]))
    url = "/api/v1/assets/SL-ROLE"
    assert api.patch(url, json={"condition_score": 40}, headers=crew).status_code == 200
    assert api.patch(url, json={"status": "retired"}, headers=crew).status_code == 403
    history = api.get(f"{url}/history", headers=crew).json()["history"]
    assert history[0]["actor"].startswith("key:")
    assert api.get(f"{url}/history", headers={"Authorization": ""}).status_code == 404
    assert api.get(url, headers={"Authorization": ""}).status_code == 200


def _create(api: TestClient, **body: object) -> dict:
    response = api.post("/api/v1/assets", json={"type": "streetlight", "geometry": _pt(0),
                                                 **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_get_patch_history(api: TestClient) -> None:
    created = _create(api, asset_id="975-4A/B", attributes={"lamps": "2", "owner": "City"})
    assert created["type"] == "Feature" and created["id"] == "975-4A/B"
    props = created["properties"]
    assert props["attributes"] == {"lamps": 2, "owner": "City"} and props["status"] == "active"
    assert "pk" not in props and "id" not in props

    url = "/api/v1/assets/" + quote("975-4A/B", safe="/")
    got = api.get(url)
    assert got.status_code == 200 and got.headers["content-type"] == "application/geo+json"
    assert got.json() == created
    assert api.get("/api/v1/assets/975-4A%2FB").json()["id"] == "975-4A/B"

    patched = api.patch(url, json={"attributes": {"lamps": 1, "owner": None},
                                   "condition_score": 55.5})
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"]["attributes"] == {"lamps": 1}
    retired = api.patch(url, json={"status": "retired"})
    assert retired.json()["properties"]["status"] == "retired"

    history = api.get(url + "/history").json()
    assert history["asset_id"] == "975-4A/B"
    kinds = [e["kind"] for e in history["history"]]
    assert kinds == ["retired", "updated", "created"]
    assert {e["actor"] for e in history["history"]} == {api.headers["x-actor"]}
    update = history["history"][1]
    assert update["old"] == {"attributes": {"lamps": 2, "owner": "City"}, "condition_score": None}
    assert update["new"] == {"attributes": {"lamps": 1, "owner": None}, "condition_score": 55.5}


def test_generated_id_and_location(api: TestClient) -> None:
    response = api.post("/api/v1/assets", json={"type": "hydrant", "geometry": _pt(5)})
    asset_id = response.json()["id"]
    assert asset_id.startswith("hydrant-")
    assert response.headers["location"] == f"/api/v1/assets/{asset_id}"


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}, 422,
         "geometry: expected a point geometry, got LINESTRING"),
        ({"attributes": {"lamps": "two"}}, 422, 'attributes.lamps: expected an integer, got "two"'),
        ({"attributes": {"wattage": 100}}, 422, "attributes.wattage: unknown attribute"),
        ({"type": "bench"}, 422, "type: unknown asset type 'bench'"),
        ({"status": "lost"}, 422, "status"),
        ({"colour": "red"}, 422, "colour"),
        ({"condition_score": 120}, 422, "condition_score"),
    ],
)
def test_create_refusals(api: TestClient, body: dict, status: int, detail: str) -> None:
    response = api.post("/api/v1/assets", json={"type": "streetlight", "geometry": _pt(0),
                                                 **body})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert detail in response.json()["detail"]


def test_nan_in_body_and_conflicts(api: TestClient) -> None:
    nan = api.post(
        "/api/v1/assets",
        content=b'{"type": "streetlight", "geometry": {"type": "Point", "coordinates": [NaN, 1]}}',
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422
    _create(api, asset_id="791-2")
    again = api.post("/api/v1/assets", json={"type": "streetlight", "asset_id": "791-2",
                                              "geometry": _pt(0)})
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    missing = api.get("/api/v1/assets/nope")
    assert missing.status_code == 404 and missing.json()["detail"] == "no asset 'nope'"
    assert api.get("/api/v1/assets/nope/history").status_code == 404
    assert api.patch("/api/v1/assets/nope", json={"status": "retired"}).status_code == 404
    assert api.delete("/api/v1/assets/791-2").status_code == 405


def test_nearest(api: TestClient) -> None:
    for asset_id, east in [("A30", 30), ("A10", 10), ("A20", -20)]:
        _create(api, asset_id=asset_id, geometry=_pt(east))
    _create(api, asset_id="H5", geometry=_pt(5), type="hydrant")
    body = api.get("/api/v1/assets/nearest", params={"lat": LAT, "lon": LON}).json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == ["H5", "A10", "A20", "A30"]
    distances = [f["properties"]["distance_m"] for f in body["features"]]
    assert distances == pytest.approx([5, 10, 20, 30], rel=0.005)
    lights = api.get("/api/v1/assets/nearest",
                     params={"lat": LAT, "lon": LON, "type": "streetlight", "radius": 25,
                             "limit": 5}).json()
    assert [f["id"] for f in lights["features"]] == ["A10", "A20"]


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "nan", "lon": LON}, {"lat": LAT, "lon": "inf"}, {"lat": 91, "lon": LON},
        {"lat": LAT, "lon": -181}, {"lat": 89.9, "lon": LON}, {"lon": LON},
        {"lat": LAT, "lon": LON, "radius": 0}, {"lat": LAT, "lon": LON, "radius": "nan"},
        {"lat": LAT, "lon": LON, "type": "bench"}, {"lat": LAT, "lon": LON, "limit": 0},
    ],
)
def test_nearest_refusals(api: TestClient, params: dict) -> None:
    response = api.get("/api/v1/assets/nearest", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


def test_list_filters_and_pages(api: TestClient) -> None:
    for i in range(5):
        _create(api, asset_id=f"L{i}", geometry=_pt(i * 100))
    _create(api, asset_id="H1", type="hydrant", geometry=_pt(0, 5000))
    api.patch("/api/v1/assets/L4", json={"status": "retired"})
    seen: list[str] = []
    url: str | None = "/api/v1/assets?limit=2"
    while url:
        page = api.get(url)
        assert page.headers["content-type"] == "application/geo+json"
        body = page.json()
        assert body["type"] == "FeatureCollection" and len(body["features"]) <= 2
        seen += [f["id"] for f in body["features"]]
        url = body["next"]
    assert sorted(seen) == ["H1", "L0", "L1", "L2", "L3", "L4"]
    hydrants = api.get("/api/v1/assets", params={"type": "hydrant"}).json()
    assert [f["id"] for f in hydrants["features"]] == ["H1"] and hydrants["next"] is None
    retired = api.get("/api/v1/assets", params={"status": "retired"}).json()
    assert [f["id"] for f in retired["features"]] == ["L4"]
    box = f"{LON - 0.0001},{LAT - 0.0001},{LON + 0.0013},{LAT + 0.0001}"
    boxed = api.get("/api/v1/assets", params={"bbox": box}).json()
    assert sorted(f["id"] for f in boxed["features"]) == ["L0", "L1"]
    later = api.get("/api/v1/assets", params={"updated_after": "2999-01-01T00:00:00Z"}).json()
    assert later["features"] == []


@pytest.mark.parametrize(
    "params",
    [{"bbox": "1,2,3"}, {"bbox": "a,b,c,d"}, {"bbox": "5,0,1,1"}, {"cursor": "garbage"},
     {"status": "lost"}, {"limit": 0}],
)
def test_list_refusals(api: TestClient, params: dict) -> None:
    response = api.get("/api/v1/assets", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
