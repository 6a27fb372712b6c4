"""``/api/v1/boundaries``: lookup, layers, districts as GeoJSON, and bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from psycopg import Connection

from gis311.errors import PROBLEM_JSON
from tests.boundaries.sources import fixture_features, load

Y2015 = datetime(2015, 5, 18, tzinfo=UTC)
Y2023 = datetime(2023, 1, 1, tzinfo=UTC)
LOOKUP = "/api/v1/boundaries/lookup"


@pytest.fixture
def layers(db: Connection) -> None:
    load(db, "ward", fixture_features("shared_edge.geojson"), source_name="old",
         valid_from=Y2015)
    load(db, "ward", fixture_features("gap.geojson"), source_name="new", valid_from=Y2023)
    load(db, "precinct", fixture_features("shared_edge.geojson"))


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict = response.json()
    assert body["status"] == status and body["detail"]
    return body


def test_lookup_answers_each_layers_district(client: TestClient, layers: None) -> None:
    response = client.get(LOOKUP, params={"lat": 42.375, "lon": -71.105, "at": "2020-01-01"})
    assert response.status_code == 200
    assert response.json() == {
        "lat": 42.375,
        "lon": -71.105,
        "at": "2020-01-01T00:00:00Z",
        "districts": {
            "ward": {"code": "10", "name": "Ten", "version": "old"},
            "precinct": {"code": "10", "name": "Ten", "version": "test"},
        },
    }


def test_lookup_defaults_to_now_and_omits_layers_without_a_district(
    client: TestClient, layers: None
) -> None:
    before = datetime.now(UTC)
    body = client.get(LOOKUP, params={"lat": 42.385, "lon": -71.105}).json()
    assert body["districts"] == {}  # in the gap of today's wards, beyond the precincts
    assert datetime.fromisoformat(body["at"]) >= before
    body = client.get(LOOKUP, params={"lat": 42.395, "lon": -71.105}).json()
    assert body["districts"] == {"ward": {"code": "N", "name": "North", "version": "new"}}


def test_lookup_at_with_offset(client: TestClient, layers: None) -> None:
    # 2022-12-31 20:00 in Boston is 2023-01-01 01:00 UTC: the new map.
    body = client.get(
        LOOKUP, params={"lat": 42.375, "lon": -71.115, "at": "2022-12-31T20:00:00-05:00"}
    ).json()
    assert body["districts"]["ward"] == {"code": "S", "name": "South", "version": "new"}


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [
        ("nan", "-71.1", "lat"),
        ("42.3", "NaN", "lon"),
        ("inf", "-71.1", "lat"),
        ("42.3", "-Infinity", "lon"),
        ("90.0001", "-71.1", "lat"),
        ("42.3", "-180.5", "lon"),
        ("north", "-71.1", "lat"),
    ],
)
def test_bad_lat_lon_is_422_problem(client: TestClient, lat: str, lon: str, field: str) -> None:
    body = _problem(client.get(LOOKUP, params={"lat": lat, "lon": lon}), 422)
    assert field in body["detail"]


def test_missing_lat_is_422(client: TestClient) -> None:
    _problem(client.get(LOOKUP, params={"lon": -71.1}), 422)


def test_bad_at_is_422(client: TestClient) -> None:
    _problem(client.get(LOOKUP, params={"lat": 42.3, "lon": -71.1, "at": "yesterday"}), 422)


def test_layers_are_listed_with_versions(client: TestClient, layers: None) -> None:
    body = client.get("/api/v1/boundaries").json()
    assert [layer["code"] for layer in body["layers"]] == ["precinct", "ward"]
    ward = body["layers"][1]
    assert (ward["name"], ward["kind"]) == ("Ward", "ward")
    assert [(v["label"], v["valid_from"], v["valid_to"], v["feature_count"])
            for v in ward["versions"]] == [
        ("old", "2015-05-18T00:00:00Z", "2023-01-01T00:00:00Z", 2),
        ("new", "2023-01-01T00:00:00Z", None, 4),
    ]


def test_layer_is_a_geojson_feature_collection(client: TestClient, layers: None) -> None:
    response = client.get("/api/v1/boundaries/ward")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["version"] == "new"
    assert [f["id"] for f in body["features"]] == ["E", "N", "S", "W"]
    old = client.get("/api/v1/boundaries/ward", params={"at": "2016-01-01T00:00:00Z"}).json()
    assert [f["id"] for f in old["features"]] == ["10", "9"]


def test_one_district_is_a_geojson_feature(client: TestClient, layers: None) -> None:
    response = client.get("/api/v1/boundaries/ward/N")
    assert response.headers["content-type"] == "application/geo+json"
    feature = response.json()
    assert (feature["type"], feature["id"]) == ("Feature", "N")
    assert feature["properties"]["name"] == "North"
    assert feature["geometry"]["type"] == "MultiPolygon"


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/v1/boundaries/beat", "no boundary layer 'beat'"),
        ("/api/v1/boundaries/ward/Z", "has no district 'Z'"),
        ("/api/v1/boundaries/ward?at=2001-01-01", "no version in force"),
    ],
)
def test_unknown_layer_code_or_time_is_404(
    client: TestClient, layers: None, path: str, detail: str
) -> None:
    assert detail in _problem(client.get(path), 404)["detail"]
