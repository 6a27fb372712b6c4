"""Snapping reports to the real Cambridge streetlights: the nearest one within the type's radius
wins (checked against a brute-force distance in EPSG:26986), none within radius leaves the case
without an asset, and a named pole too far away is refused."""

from __future__ import annotations

import random

import geopandas as gpd
import numpy as np
import psycopg
import pytest
from shapely.geometry import Point

from importers.asset_file import import_assets
from registry import catalog, catalog_file
from registry.intake import AssetRejected, CaseReport, file_case
from tests.conftest import REPO, shared_data

LIGHTS = "cambridge/INFRA_StreetLights.geojson"
RADIUS_M = 30.0  # catalog.example.yaml: streetlight snap_radius_m
STATE_PLANE = 26986  # Massachusetts Mainland, metres


@pytest.fixture
def lights(request: pytest.FixtureRequest, db: psycopg.Connection) -> gpd.GeoDataFrame:
    catalog.load(db, catalog_file.read(REPO / "catalog.example.yaml"))
    path = shared_data(request.config, LIGHTS)
    import_assets(db, path, type_code="streetlight")
    # Repeat reports would fold into each other: each report here must stand alone.
    db.execute("UPDATE registry.service SET dedup_asset_based = false, dedup_radius_m = NULL "
               "WHERE code = 'streetlight_out'")
    frame = gpd.read_file(path)[["PoleID", "geometry"]]
    return frame.set_crs(4326).to_crs(STATE_PLANE)


def _report(lon: float, lat: float, asset_id: str | None = None) -> CaseReport:
    return CaseReport(service_code="streetlight_out", lon=lon, lat=lat, asset_id=asset_id,
                      attributes={"light_state": "out"})


def _to_lonlat(x: float, y: float) -> tuple[float, float]:
    point = gpd.GeoSeries([Point(x, y)], crs=STATE_PLANE).to_crs(4326).iloc[0]
    return point.x, point.y


def test_reports_snap_to_the_nearest_pole_within_radius(
    db: psycopg.Connection, lights: gpd.GeoDataFrame
) -> None:
    rng = random.Random(311)
    xs, ys = lights.geometry.x.to_numpy(), lights.geometry.y.to_numpy()
    snapped = unsnapped = 0
    for _ in range(150):
        # Near a random pole (so most reports have one in reach), some farther out.
        pole = rng.randrange(len(lights))
        x = xs[pole] + rng.uniform(-45, 45)
        y = ys[pole] + rng.uniform(-45, 45)
        distances = np.hypot(xs - x, ys - y)
        best = int(np.argmin(distances))
        lon, lat = _to_lonlat(x, y)
        case = file_case(db, _report(lon, lat)).case
        if distances[best] <= RADIUS_M - 0.05:
            assert case["asset"] is not None, (x, y, distances[best])
            assert case["asset"]["asset_id"] == lights.iloc[best]["PoleID"] or (
                # Two poles as near as each other within a few centimetres: either is right.
                abs(np.sort(distances)[1] - distances[best]) < 0.05
            )
            assert case["asset"]["distance_m"] == pytest.approx(distances[best], abs=0.05)
            snapped += 1
        elif distances[best] > RADIUS_M + 0.05:
            assert case["asset"] is None, (x, y, distances[best])
            unsnapped += 1
    assert snapped > 50 and unsnapped > 5


def test_a_named_pole_too_far_away_is_refused(
    db: psycopg.Connection, lights: gpd.GeoDataFrame
) -> None:
    pole = lights.iloc[100]
    lon, lat = _to_lonlat(pole.geometry.x + 60, pole.geometry.y)
    with pytest.raises(AssetRejected, match="m from the reported location"):
        file_case(db, _report(lon, lat, asset_id=pole["PoleID"]))
    near_lon, near_lat = _to_lonlat(pole.geometry.x + 5, pole.geometry.y)
    case = file_case(db, _report(near_lon, near_lat, asset_id=pole["PoleID"])).case
    assert case["asset"]["asset_id"] == pole["PoleID"]
