"""The real Cambridge inventories: counts, stable ids, history, and nearest-asset answers
checked against a brute-force distance computation in EPSG:26986 (MA State Plane, metres)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg
import pytest
from shapely.geometry import Point

from importers.asset_file import import_assets
from registry import assets, catalog, catalog_file
from registry.nearest import nearest
from tests.conftest import REPO, shared_data

LIGHTS = "cambridge/INFRA_StreetLights.geojson"
HYDRANTS = "cambridge/INFRA_Hydrants.geojson"
CENTERLINES = "cambridge/TRANS_Centerlines.geojson"
# Geodesic distance on the ellipsoid vs. planar distance in EPSG:26986: the projection's scale
# error in Cambridge is below 1e-4, so answers agree to 0.05% and a centimetre.
REL, ABS = 5e-4, 0.01


@pytest.fixture
def conn(db: psycopg.Connection) -> psycopg.Connection:
    catalog.load(db, catalog_file.read(REPO / "catalog.example.yaml"))
    return db


def _count(conn: psycopg.Connection, sql: str, *params: object) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def _ids(conn: psycopg.Connection, type_code: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT asset_id, id FROM registry.asset WHERE type_code = %s", (type_code,)
    ).fetchall()
    return dict(rows)


def test_inventories_import_with_their_counts(
    conn: psycopg.Connection, request: pytest.FixtureRequest
) -> None:
    for relative, code, expected in [
        (LIGHTS, "streetlight", 6117), (HYDRANTS, "hydrant", 1960),
        (CENTERLINES, "road_segment", 2643),
    ]:
        result = import_assets(conn, shared_data(request.config, relative), type_code=code)
        assert (result.rows, result.created, result.rejected) == (expected, expected, 0)
        assert len(_ids(conn, code)) == expected
    assert _count(
        conn, "SELECT count(*) FROM registry.asset WHERE type_code = 'road_segment' "
        "AND GeometryType(geom) IN ('LINESTRING', 'MULTILINESTRING')"
    ) == 2643
    light = assets.get(conn, "791-2")
    assert light.attributes["street_name"] == "SEAGRAVE" and light.attributes["lamps"] == 1
    hydrant = assets.get(conn, "{5C66D414-58AA-4470-8998-C91656457D80}")
    assert hydrant.external_ids == {"HYDRANT_ID": "PH6000"}
    assert assets.get(conn, "Cambrid_St_29").attributes["street_id"] == 122


def test_reimport_keeps_ids_and_changes_nothing(
    conn: psycopg.Connection, request: pytest.FixtureRequest
) -> None:
    path = shared_data(request.config, LIGHTS)
    import_assets(conn, path, type_code="streetlight")
    before = _ids(conn, "streetlight")
    history = _count(conn, "SELECT count(*) FROM registry.asset_history")
    updated_at = _count(conn, "SELECT count(DISTINCT updated_at) FROM registry.asset")
    again = import_assets(conn, path, type_code="streetlight")
    assert (again.created, again.updated, again.unchanged, again.retired) == (0, 0, 6117, 0)
    assert _ids(conn, "streetlight") == before
    assert _count(conn, "SELECT count(*) FROM registry.asset_history") == history
    assert _count(conn, "SELECT count(DISTINCT updated_at) FROM registry.asset") == updated_at


def test_a_changed_file_updates_adds_and_retires_only_when_asked(
    conn: psycopg.Connection, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    path = shared_data(request.config, LIGHTS)
    import_assets(conn, path, type_code="streetlight")
    data = json.loads(path.read_text())
    features = data["features"]
    changed_lamps, moved, dropped = (f["properties"]["PoleID"] for f in features[:3])
    features[0]["properties"]["NumLamps"] = 2
    old_xy = list(features[1]["geometry"]["coordinates"])
    features[1]["geometry"]["coordinates"] = [old_xy[0] + 1e-5, old_xy[1]]
    del features[2]
    new = json.loads(json.dumps(features[3]))
    new["properties"]["PoleID"] = "9999-1"
    new["id"] = 99_999
    features.append(new)
    edited = tmp_path / "streetlights_edited.geojson"
    edited.write_text(json.dumps(data))

    result = import_assets(conn, edited, type_code="streetlight")
    assert (result.created, result.updated, result.unchanged, result.retired) == (1, 2, 6114, 0)
    assert assets.get(conn, dropped).status == "active"
    latest = assets.get_history(conn, changed_lamps)[0]
    assert latest.kind == "updated"
    assert latest.actor == "import:streetlights_edited.geojson"
    assert (latest.old, latest.new) == ({"attributes": {"lamps": 1}}, {"attributes": {"lamps": 2}})
    move = assets.get_history(conn, moved)[0]
    assert move.new is not None and set(move.new) == {"geometry"}
    assert move.new["geometry"]["coordinates"][0] == pytest.approx(old_xy[0] + 1e-5)

    retiring = import_assets(conn, edited, type_code="streetlight", retire_missing=True)
    assert (retiring.created, retiring.updated, retiring.retired) == (0, 0, 1)
    assert assets.get(conn, dropped).status == "retired"
    assert assets.get_history(conn, dropped)[0].kind == "retired"

    back = import_assets(conn, path, type_code="streetlight")
    assert (back.created, back.updated, back.restored, back.retired) == (0, 2, 1, 0)
    assert assets.get(conn, dropped).status == "active"
    assert assets.get(conn, "9999-1").status == "active"  # missing, but not asked to retire


def _brute_force(frame: gpd.GeoSeries, lon: float, lat: float) -> np.ndarray:
    here = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(26986).iloc[0]
    return frame.distance(here).to_numpy()


@pytest.mark.parametrize(("relative", "code"), [(LIGHTS, "streetlight"),
                                                (CENTERLINES, "road_segment")])
def test_nearest_matches_brute_force_in_state_plane(
    conn: psycopg.Connection, request: pytest.FixtureRequest, relative: str, code: str
) -> None:
    path = shared_data(request.config, relative)
    import_assets(conn, path, type_code=code)
    frame = gpd.read_file(path).to_crs(26986)
    id_field = "PoleID" if code == "streetlight" else "ID"
    ids = frame[id_field].to_numpy()
    minx, miny, maxx, maxy = gpd.read_file(path).total_bounds
    rng = random.Random(311)
    for _ in range(60):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        distances = _brute_force(frame.geometry, lon, lat)
        order = np.argsort(distances, kind="stable")[:6]
        expected = distances[order]
        found = nearest(conn, lon, lat, types=[code], limit=5)
        got = np.array([n.distance_m for n in found])
        assert got == pytest.approx(expected[:5], rel=REL, abs=ABS)
        # Where the brute force has no tie (segments meeting at a node are equally near), the
        # same assets come back in the same order.
        for k in range(5):
            gaps = [abs(expected[k] - expected[j]) for j in (k - 1, k + 1) if 0 <= j < 6]
            if all(g > 0.05 + REL * expected[k] for g in gaps):
                assert found[k].asset_id == ids[order[k]]
        radius = float(expected[2]) + 1.0
        within = {n.asset_id for n in nearest(conn, lon, lat, types=[code], radius_m=radius,
                                              limit=100)}
        inside = set(ids[distances <= radius - ABS - REL * radius])
        maybe = set(ids[distances <= radius + ABS + REL * radius])
        assert inside <= within <= maybe
