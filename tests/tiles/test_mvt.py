"""Rendering tiles from a table: counts, clipping, properties, filters, clustering."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import mapbox_vector_tile
import psycopg
import pytest

from tiles.errors import InvalidTile
from tiles.layers import Filter, LayerSpec
from tiles.mvt import BUFFER, EXTENT, render, tile_query

# Boston's extent, roughly; z14 tile 4954/6059 lies inside it.
BOSTON = (-71.19, 42.23, -70.99, 42.40)


def _statuses(raw: str) -> Mapping[str, Any]:
    values = [v for v in raw.split(",") if v]
    if not set(values) <= {"open", "closed"}:
        raise ValueError(f"unknown status in {raw!r}")
    return {"f_status": values}


POINTS = LayerSpec(
    name="points",
    source="pg_temp.tile_points",
    properties={"status": "String", "label": "String"},
    filters={"status": Filter(sql="t.status = ANY(%(f_status)s)", parse=_statuses)},
    cluster_maxzoom=11,
)


@pytest.fixture
def points(db: psycopg.Connection) -> psycopg.Connection:
    db.execute(
        """
        CREATE TEMP TABLE tile_points (
            id bigint PRIMARY KEY,
            status text NOT NULL,
            label text,
            reporter_email text,
            geom geometry(Point, 4326) NOT NULL,
            geom_3857 geometry(Point, 3857)
                GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED
        ) ON COMMIT DROP
        """
    )
    rng = random.Random(7)
    rows = [
        (i, rng.choice(["open", "closed"]), f"p{i}", "someone@example.org",
         rng.uniform(BOSTON[0], BOSTON[2]), rng.uniform(BOSTON[1], BOSTON[3]))
        for i in range(1, 5001)
    ]
    with db.cursor() as cur:
        cur.executemany(
            "INSERT INTO tile_points (id, status, label, reporter_email, geom) "
            "VALUES (%s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))",
            rows,
        )
    db.execute("CREATE INDEX ON tile_points USING gist (geom_3857)")
    return db


def _decode(data: bytes) -> list[dict[str, Any]]:
    layers = mapbox_vector_tile.decode(data)
    assert list(layers) == ["points"]
    features: list[dict[str, Any]] = layers["points"]["features"]
    return features


def _rows_in_tile(
    db: psycopg.Connection, z: int, x: int, y: int, where: str = "true", margin: float = BUFFER
) -> int:
    row = db.execute(
        f"SELECT count(*) FROM tile_points t WHERE {where} AND ST_Intersects(t.geom_3857, "
        "ST_TileEnvelope(%s, %s, %s, margin => %s))",
        (z, x, y, margin / EXTENT),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_feature_count_equals_rows_meeting_the_buffered_tile(points: psycopg.Connection) -> None:
    features = _decode(render(points, tile_query(POINTS, 14, 4954, 6059)))
    assert len(features) == _rows_in_tile(points, 14, 4954, 6059) > 10


def test_geometry_stays_inside_extent_plus_buffer(points: psycopg.Connection) -> None:
    for feature in _decode(render(points, tile_query(POINTS, 14, 4954, 6059))):
        x, y = feature["geometry"]["coordinates"]
        assert -BUFFER <= x <= EXTENT + BUFFER
        assert -BUFFER <= y <= EXTENT + BUFFER


def test_properties_are_exactly_the_public_set_and_ids_are_set(
    points: psycopg.Connection,
) -> None:
    features = _decode(render(points, tile_query(POINTS, 14, 4954, 6059)))
    for feature in features:
        assert set(feature["properties"]) == {"status", "label"}
        assert isinstance(feature["id"], int)


def test_filter_narrows_with_a_bound_value(points: psycopg.Connection) -> None:
    query = tile_query(POINTS, 14, 4954, 6059, {"status": "open"})
    features = _decode(render(points, query))
    assert {f["properties"]["status"] for f in features} == {"open"}
    assert len(features) == _rows_in_tile(points, 14, 4954, 6059, "t.status = 'open'")
    assert "open" not in query.text


def test_a_hostile_filter_value_is_refused_not_spliced(points: psycopg.Connection) -> None:
    with pytest.raises(InvalidTile, match="status"):
        tile_query(POINTS, 14, 4954, 6059, {"status": "open'; DROP TABLE tile_points; --"})


def test_an_empty_tile_renders_no_bytes(points: psycopg.Connection) -> None:
    assert render(points, tile_query(POINTS, 14, 0, 0)) == b""


def test_low_zoom_clusters_points_and_keeps_the_count(points: psycopg.Connection) -> None:
    z, x, y = 8, 77, 94  # holds all of Boston
    features = _decode(render(points, tile_query(POINTS, z, x, y)))
    assert sum(f["properties"]["count"] for f in features) == 5000
    assert _rows_in_tile(points, z, x, y, margin=0) == 5000
    assert len(features) <= POINTS.cluster_cells**2


def test_same_layer_and_filters_share_one_statement(points: psycopg.Connection) -> None:
    a = tile_query(POINTS, 14, 4954, 6059, {"status": "open"})
    b = tile_query(POINTS, 15, 9908, 12118, {"status": "closed"})
    assert a.text is b.text
