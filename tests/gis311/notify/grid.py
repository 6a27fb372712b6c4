"""A city of ten council districts for notification tests: a 5 x 2 grid of square wards.

District ``n`` (1-10) is column ``(n - 1) % 5``, row ``(n - 1) // 5`` of 0.01-degree squares
from (-71.15, 42.33); each has an office email ``council<n>@city.example``. Layer ``police``
has one district, ``A``, over the whole grid. Services: ``pothole`` and ``graffiti`` (no repeat
detection, so every report is a case of its own) and ``streetlight_out`` (links streetlight
``SL-N1`` at the centre of district 1).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import psycopg
from psycopg.types.json import Jsonb

LAYER = "council"
WEST, SOUTH, SIZE = -71.15, 42.33, 0.01
COLUMNS, ROWS = 5, 2
DISTRICTS = [str(n) for n in range(1, COLUMNS * ROWS + 1)]
SERVICES = ("pothole", "graffiti", "streetlight_out")


def box(code: str) -> tuple[float, float, float, float]:
    """(west, south, east, north) of district ``code``."""
    n = int(code) - 1
    west = WEST + (n % COLUMNS) * SIZE
    south = SOUTH + (n // COLUMNS) * SIZE
    return west, south, west + SIZE, south + SIZE


def centre(code: str) -> tuple[float, float]:
    """(lon, lat) of the centre of district ``code``."""
    west, south, east, north = box(code)
    return (west + east) / 2, (south + north) / 2


def point_in(code: str, rng: random.Random) -> tuple[float, float]:
    """A random (lon, lat) well inside district ``code`` (off its edges)."""
    west, south, east, north = box(code)
    margin = SIZE * 0.05
    return (rng.uniform(west + margin, east - margin), rng.uniform(south + margin, north - margin))


def _layer(conn: psycopg.Connection, code: str, kind: str) -> int:
    row = conn.execute(
        "INSERT INTO boundaries.layer (code, name, kind) VALUES (%s, %s, %s) RETURNING id",
        (code, code.title(), kind),
    ).fetchone()
    assert row is not None
    return int(row[0])


def add_version(
    conn: psycopg.Connection, layer: str, label: str,
    features: Mapping[str, tuple[float, float, float, float]],
    *, valid_from: str | None = None, valid_to: str | None = None,
) -> int:
    """Add a version of ``layer`` whose districts are the given boxes (code -> w, s, e, n)."""
    row = conn.execute(
        "INSERT INTO boundaries.version (layer_id, label, valid_from, valid_to, source_name, "
        "source_sha256) SELECT id, %s, %s, %s, 'grid.py', md5(%s) || md5(%s) "
        "FROM boundaries.layer WHERE code = %s RETURNING id",
        (label, valid_from, valid_to, layer, label, layer),
    ).fetchone()
    assert row is not None
    for code, (west, south, east, north) in features.items():
        conn.execute(
            "INSERT INTO boundaries.feature (version_id, code, name, office_name, office_email, "
            "geom) VALUES (%s, %s, %s, %s, %s, "
            "ST_Multi(ST_MakeEnvelope(%s, %s, %s, %s, 4326)))",
            (row[0], code, f"{layer.title()} {code}", f"Office of {layer} {code}",
             f"{layer}{code.lower()}@city.example", west, south, east, north),
        )
    conn.execute(
        "INSERT INTO boundaries.feature_part (feature_id, version_id, geom) "
        "SELECT id, version_id, (ST_Dump(geom)).geom FROM boundaries.feature "
        "WHERE version_id = %s", (row[0],),
    )
    return int(row[0])


def build(conn: psycopg.Connection) -> None:
    """Write the city (in the caller's transaction)."""
    _layer(conn, LAYER, "council_district")
    add_version(conn, LAYER, "2020", {code: box(code) for code in DISTRICTS})
    _layer(conn, "police", "police_district")
    east, north = box(DISTRICTS[-1])[2:]
    add_version(conn, "police", "2020", {"A": (WEST, SOUTH, east, north)})
    conn.execute(
        "INSERT INTO registry.asset_type (code, name, department, geometry_kind, "
        "snap_radius_m) VALUES ('streetlight', 'Streetlight', 'Public Works', 'point', 30)"
    )
    for code in SERVICES:
        conn.execute(
            "INSERT INTO registry.service (code, name, asset_types, sla_hours, attributes) "
            "VALUES (%s, %s, %s, 72, %s)",
            (code, code.replace("_", " ").title(),
             ["streetlight"] if code == "streetlight_out" else [], Jsonb([])),
        )
    lon, lat = centre("1")
    conn.execute(
        "INSERT INTO registry.asset (asset_id, type_code, geom, status) VALUES "
        "('SL-N1', 'streetlight', ST_SetSRID(ST_MakePoint(%s, %s), 4326), 'active')",
        (lon, lat),
    )


def clear(conn: psycopg.Connection) -> None:
    """Remove what ``build`` wrote, the cases filed on it and every subscription (for tests that
    commit)."""
    cases = "SELECT id FROM registry.service_case WHERE service_code = ANY(%(services)s)"
    for statement in (
        "DELETE FROM gis311.delivery_attempt",
        "DELETE FROM gis311.delivery",
        "DELETE FROM gis311.subscription",
        f"DELETE FROM registry.intake_key WHERE case_id IN ({cases})",
        f"DELETE FROM registry.outbox WHERE case_id IN ({cases})",
        "DELETE FROM registry.service_case WHERE service_code = ANY(%(services)s)",
        "DELETE FROM registry.asset WHERE asset_id = 'SL-N1'",
        "DELETE FROM registry.service WHERE code = ANY(%(services)s)",
        "DELETE FROM registry.asset_type WHERE code = 'streetlight'",
        "DELETE FROM boundaries.layer WHERE code IN ('council', 'police')",
    ):
        conn.execute(statement, {"services": list(SERVICES)})


@contextmanager
def committed(database_url: str) -> Iterator[psycopg.Connection]:
    """The grid city, committed; a connection to it (idle: each call commits); cleared after."""
    with psycopg.connect(database_url, autocommit=True) as setup:
        build(setup)
    try:
        with psycopg.connect(database_url) as conn:
            yield conn
    finally:
        with psycopg.connect(database_url, autocommit=True) as cleanup:
            clear(cleanup)
