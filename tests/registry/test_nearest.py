"""Nearest assets: KNN order, exact metres, radius, types and statuses.

The comparison with a brute-force computation on the real Cambridge inventories lives in
tests/importers/test_asset_file.py, which imports them.
"""

from __future__ import annotations

import math

import psycopg
import pytest

from registry import assets, catalog, catalog_file
from registry.errors import InvalidInput
from registry.nearest import nearest, statement
from tests.conftest import REPO

LON, LAT = -71.1000, 42.3700
# Metres per degree at 42.37N (WGS84), close enough to place test points.
M_LAT = 111_060.0
M_LON = 82_350.0


def _point(east_m: float, north_m: float) -> dict:
    return {"type": "Point", "coordinates": [LON + east_m / M_LON, LAT + north_m / M_LAT]}


@pytest.fixture
def conn(db: psycopg.Connection) -> psycopg.Connection:
    catalog.load(db, catalog_file.read(REPO / "catalog.example.yaml"))
    for asset_id, east, north in [("L10", 10, 0), ("L20", 0, -20), ("L30", 30, 0),
                                  ("L50", 0, 50)]:
        assets.create(db, type_code="streetlight", asset_id=asset_id,
                      geometry=_point(east, north), actor="t")
    assets.create(db, type_code="hydrant", asset_id="H15", geometry=_point(-15, 0), actor="t")
    assets.create(db, type_code="streetlight", asset_id="L5-OUT", geometry=_point(5, 0),
                  actor="t", status="out_of_service")
    assets.create(
        db, type_code="road_segment", asset_id="R8",
        geometry={"type": "LineString", "coordinates": [
            _point(-100, 8)["coordinates"], _point(100, 8)["coordinates"]]},
        actor="t",
    )
    return db


def test_nearest_first_with_metres(conn: psycopg.Connection) -> None:
    found = nearest(conn, LON, LAT, limit=10)
    assert [n.asset_id for n in found] == ["R8", "L10", "H15", "L20", "L30", "L50"]
    for n, metres in zip(found, [8, 10, 15, 20, 30, 50], strict=True):
        assert n.distance_m == pytest.approx(metres, rel=0.005)


def test_types_radius_limit_and_statuses(conn: psycopg.Connection) -> None:
    lights = nearest(conn, LON, LAT, types=["streetlight"], radius_m=25)
    assert [n.asset_id for n in lights] == ["L10", "L20"]
    assert [n.asset_id for n in nearest(conn, LON, LAT, types=["hydrant", "streetlight"],
                                        limit=2)] == ["L10", "H15"]
    any_status = nearest(conn, LON, LAT, types=["streetlight"], limit=1,
                         statuses=("active", "out_of_service"))
    assert [n.asset_id for n in any_status] == ["L5-OUT"]
    assert nearest(conn, LON, LAT, types=["traffic_signal"]) == []
    assert nearest(conn, LON, LAT, types=[]) == []
    assert nearest(conn, LON, LAT, radius_m=5) == []


def test_radius_is_exact_metres(conn: psycopg.Connection) -> None:
    just = nearest(conn, LON, LAT, types=["streetlight"], limit=1)[0].distance_m
    assert [n.asset_id for n in nearest(conn, LON, LAT, radius_m=just + 0.01,
                                        types=["streetlight"])] == ["L10"]
    assert nearest(conn, LON, LAT, radius_m=just - 0.01, types=["streetlight"]) == []


def test_retired_assets_are_not_found(conn: psycopg.Connection) -> None:
    assets.retire(conn, "L10", actor="t")
    assert nearest(conn, LON, LAT, types=["streetlight"], limit=1)[0].asset_id == "L20"


@pytest.mark.parametrize(
    ("lon", "lat", "kwargs", "message"),
    [
        (math.nan, LAT, {}, "lon"),
        (LON, math.inf, {}, "lat"),
        (LON, 91.0, {}, "lat"),
        (LON, 86.0, {}, "lat"),
        (-181.0, LAT, {}, "lon"),
        (LON, LAT, {"radius_m": 0}, "radius"),
        (LON, LAT, {"radius_m": math.nan}, "radius"),
        (LON, LAT, {"limit": 0}, "limit"),
        (LON, LAT, {"statuses": ("gone",)}, "status"),
    ],
)
def test_bad_input(conn: psycopg.Connection, lon: float, lat: float, kwargs: dict,
                   message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        nearest(conn, lon, lat, **kwargs)


def test_uses_the_gist_index(conn: psycopg.Connection) -> None:
    conn.execute(
        "INSERT INTO registry.asset (asset_id, type_code, geom) "
        "SELECT 'G' || i, 'streetlight', ST_SetSRID(ST_MakePoint(-71.2 + (i % 300) * 0.0007, "
        "42.3 + (i / 300) * 0.0005), 4326) FROM generate_series(1, 30000) i"
    )
    conn.execute("ANALYZE registry.asset")
    query, params = statement(LON, LAT, types=["streetlight"], radius_m=30, limit=1)
    plan = conn.execute(b"EXPLAIN " + query.as_bytes(conn), params).fetchall()
    text = "\n".join(r[0] for r in plan)
    assert "Index Scan using asset_geom_3857_gist" in text and "Order By" in text
