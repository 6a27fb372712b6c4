"""``/tiles``: tiles decoded with mapbox-vector-tile, caching headers, invalidation, errors."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import psycopg
import pytest
from fastapi.testclient import TestClient

from gis311.app import create_app
from gis311.settings import Settings
from registry.intake import CaseReport, Contact, file_case
from tests.conftest import api_key, bearer, forget_keys
from tests.registry import city
from tiles.mvt import BUFFER, EXTENT

CASE_FIELDS = {"number", "service_code", "status", "duplicate_count", "is_duplicate",
               "requested_at"}
Z = 15


def tile_of(lon: float, lat: float, z: int = Z) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


KEYS: dict[str, str] = {}


@pytest.fixture(scope="module")
def town(database_url: str) -> Iterator[str]:
    with psycopg.connect(database_url) as conn:
        city.build(conn)
        conn.execute("UPDATE registry.service SET department = 'Streets' WHERE code = 'pothole'")
        KEYS.update(
            staff=api_key(conn, "staff", departments=["Streets"]),
            councilor=api_key(conn, "councilor", districts=["ward:2"]),
            app=api_key(conn, "reporter_app"),
        )
        for i in range(40):
            lon, lat = city.offset(*city.CENTRE, (i % 8) * 40.0, (i // 8) * 40.0)
            file_case(conn, CaseReport(
                service_code="pothole" if i % 2 else "graffiti", lon=lon, lat=lat,
                contact=Contact(email=f"r{i}@example.org", phone="555-0100"),
            ))
        lon, lat = city.WARD2_CENTRE
        file_case(conn, CaseReport(service_code="pothole", lon=lon, lat=lat))
        conn.commit()
    try:
        yield database_url
    finally:
        with psycopg.connect(database_url) as conn:
            city.clear(conn)
            forget_keys(conn, *KEYS.values())


@pytest.fixture(scope="module")
def api(town: str) -> Iterator[TestClient]:
    settings = Settings(database_url=town, db_pool_min_size=1, jurisdiction_layer="ward")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _features(response: Any, layer: str) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(response.content)
    assert list(decoded) == [layer]
    features: list[dict[str, Any]] = decoded[layer]["features"]
    return features


def _open_cases_meeting(database_url: str, z: int, x: int, y: int) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM registry.service_case WHERE status <> 'closed' AND "
            "ST_Intersects(geom_3857, ST_TileEnvelope(%s, %s, %s, margin => %s))",
            (z, x, y, BUFFER / EXTENT),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_case_tile_holds_exactly_the_open_cases_meeting_it(api: TestClient, town: str) -> None:
    z, x, y = tile_of(*city.CENTRE)
    features = _features(api.get(f"/tiles/cases/{z}/{x}/{y}.mvt"), "cases")
    assert len(features) == _open_cases_meeting(town, z, x, y) > 5
    for feature in features:
        assert set(feature["properties"]) == CASE_FIELDS
        assert isinstance(feature["id"], int)
        px, py = feature["geometry"]["coordinates"]
        assert -BUFFER <= px <= EXTENT + BUFFER and -BUFFER <= py <= EXTENT + BUFFER


def test_no_reporter_contact_in_any_tile(api: TestClient) -> None:
    z, x, y = tile_of(*city.CENTRE)
    body = api.get(f"/tiles/cases/{z}/{x}/{y}.mvt").content
    for secret in (b"example.org", b"555-0100", b"email", b"phone", b"reporter", b"notes"):
        assert secret not in body


def test_filters_narrow_the_tile(api: TestClient) -> None:
    z, x, y = tile_of(*city.CENTRE)
    potholes = _features(api.get(f"/tiles/cases/{z}/{x}/{y}.mvt?service_code=pothole"), "cases")
    assert potholes and {f["properties"]["service_code"] for f in potholes} == {"pothole"}
    ward1 = api.get(f"/tiles/cases/{z}/{x}/{y}.mvt?district=ward:2")
    assert ward1.status_code == 204


def test_etag_gives_304_and_gzip_is_negotiated(api: TestClient) -> None:
    z, x, y = tile_of(*city.CENTRE)
    url = f"/tiles/cases/{z}/{x}/{y}.mvt"
    plain = api.get(url, headers={"accept-encoding": "identity"})
    etag = plain.headers["etag"]
    assert etag.startswith('"') and plain.headers["cache-control"].startswith("public")
    again = api.get(url, headers={"if-none-match": etag, "accept-encoding": "identity"})
    assert again.status_code == 304 and again.content == b""
    zipped = api.get(url, headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["etag"] != etag
    # The client undoes the gzip transfer encoding: the tile itself is the same.
    assert zipped.content == plain.content


def test_empty_tile_is_204(api: TestClient) -> None:
    assert api.get("/tiles/cases/14/0/0.mvt").status_code == 204


def test_a_new_case_shows_in_its_tile_at_once_and_nowhere_else(api: TestClient) -> None:
    spot = city.offset(*city.CENTRE, 500, -300)
    z, x, y = tile_of(*spot)
    far = tile_of(*city.WARD2_CENTRE)
    before = api.get(f"/tiles/cases/{z}/{x}/{y}.mvt")
    far_before = api.get(f"/tiles/cases/{far[0]}/{far[1]}/{far[2]}.mvt").headers["etag"]
    numbers_before = (
        {f["properties"]["number"] for f in _features(before, "cases")}
        if before.status_code == 200 else set()
    )
    filed = api.post("/api/v1/cases", headers=bearer(KEYS["app"]), json={
        "service_code": "graffiti", "lat": spot[1], "lon": spot[0]}).json()
    after = _features(api.get(f"/tiles/cases/{z}/{x}/{y}.mvt"), "cases")
    assert {f["properties"]["number"] for f in after} - numbers_before == {filed["number"]}
    far_after = api.get(f"/tiles/cases/{far[0]}/{far[1]}/{far[2]}.mvt")
    assert far_after.headers["etag"] == far_before
    assert filed["number"] not in far_after.content.decode("latin-1")


def test_closing_a_case_removes_it_from_the_default_tile(api: TestClient) -> None:
    spot = city.offset(*city.CENTRE, 700, -500)
    z, x, y = tile_of(*spot)
    number = api.post("/api/v1/cases", headers=bearer(KEYS["app"]), json={
        "service_code": "pothole", "lat": spot[1], "lon": spot[0]}).json()["number"]
    assert number in api.get(f"/tiles/cases/{z}/{x}/{y}.mvt").content.decode("latin-1")
    closed = api.patch(f"/api/v1/cases/{number}", headers=bearer(KEYS["staff"]),
                       json={"status": "closed", "closure_reason": "resolved"})
    assert closed.status_code == 200, closed.text
    response = api.get(f"/tiles/cases/{z}/{x}/{y}.mvt")
    assert response.status_code == 204 or number not in response.content.decode("latin-1")


@pytest.mark.parametrize(
    "path", ["/tiles/cases/23/0/0.mvt", "/tiles/cases/3/8/0.mvt", "/tiles/cases/3/0/8.mvt",
             "/tiles/cases/3/-1/0.mvt", "/tiles/cases/15/0/0.mvt?status=lost",
             "/tiles/cases/15/0/0.mvt?district=ward", "/tiles/cases/15/0/0.mvt?since=yesterday"],
)
def test_bad_tile_requests_are_400_problems(api: TestClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/tiles/streets/15/0/0.mvt", "/tiles/boundaries/nope/1/0/0.mvt",
                                  "/tiles/nope.json"])
def test_unknown_layers_are_404(api: TestClient, path: str) -> None:
    assert api.get(path).status_code == 404


def test_a_lone_case_in_a_cluster_tile_keeps_its_fields(api: TestClient, town: str) -> None:
    z, x, y = tile_of(*city.WARD2_CENTRE, 13)
    features = _features(api.get(f"/tiles/cases/{z}/{x}/{y}.mvt"), "cases")
    singles = [f for f in features if f["properties"]["count"] == 1]
    assert singles and all(set(f["properties"]) == CASE_FIELDS | {"count"} for f in singles)
    assert all("number" not in f["properties"] for f in features
               if f["properties"]["count"] > 1)


def test_assets_and_boundary_tiles(api: TestClient) -> None:
    z, x, y = tile_of(*city.STREETLIGHTS["SL-1"])
    assets = _features(api.get(f"/tiles/assets/{z}/{x}/{y}.mvt"), "assets")
    assert {f["properties"]["asset_id"] for f in assets} >= {"SL-1", "SL-2"}
    assert all(set(f["properties"]) == {"asset_id", "type", "status"} for f in assets)
    wards = _features(api.get(f"/tiles/boundaries/ward/{z}/{x}/{y}.mvt"), "ward")
    assert {f["properties"]["code"] for f in wards} == {"1"}
    before_2020 = api.get(f"/tiles/boundaries/ward/{z}/{x}/{y}.mvt?at=2019-06-01")
    assert before_2020.status_code == 204


def test_tilejson_and_style(api: TestClient) -> None:
    doc = api.get("/tiles/cases.json?service_code=pothole").json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"][0].endswith("/tiles/cases/{z}/{x}/{y}.mvt?service_code=pothole")
    assert doc["vector_layers"][0]["id"] == "cases"
    assert set(doc["vector_layers"][0]["fields"]) == CASE_FIELDS | {"count"}
    west, south, east, north = doc["bounds"]
    assert west < city.CENTRE[0] < east and south < city.CENTRE[1] < north
    ward = api.get("/tiles/boundaries/ward.json").json()
    assert ward["vector_layers"][0]["id"] == "ward"
    style = api.get("/tiles/style.json").json()
    assert style["version"] == 8
    assert {"districts", "assets", "cases"} <= set(style["sources"])


def test_keys_scope_the_cases_layer(api: TestClient) -> None:
    z, x, y = tile_of(*city.CENTRE)
    public = _features(api.get(f"/tiles/cases/{z}/{x}/{y}.mvt"), "cases")
    staff = api.get(f"/tiles/cases/{z}/{x}/{y}.mvt", headers=bearer(KEYS["staff"]))
    staff_features = _features(staff, "cases")
    assert staff_features and {f["properties"]["service_code"] for f in staff_features} == {
        "pothole"}
    assert len(staff_features) < len(public)
    assert staff.headers["cache-control"].startswith("private")
    assert "Authorization" in staff.headers["vary"]
    # The councilor's district (ward 2) is elsewhere: nothing of ward 1 reaches it, and a
    # scope parameter in the query string changes nothing.
    for path in (f"/tiles/cases/{z}/{x}/{y}.mvt",
                 f'/tiles/cases/{z}/{x}/{y}.mvt?scope_districts=["ward:1"]'):
        assert api.get(path, headers=bearer(KEYS["councilor"])).status_code == 204
    w2 = tile_of(*city.WARD2_CENTRE)
    ward2 = _features(api.get(f"/tiles/cases/{w2[0]}/{w2[1]}/{w2[2]}.mvt",
                              headers=bearer(KEYS["councilor"])), "cases")
    assert len(ward2) >= 1


def test_a_bad_key_is_401_on_tiles(api: TestClient) -> None:
    response = api.get("/tiles/cases/15/0/0.mvt", headers=bearer("g311_" + "x" * 43))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
