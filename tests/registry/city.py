"""A small synthetic city for case tests: two wards side by side, streetlights, services.

Ward 1 spans lon -71.12..-71.10, ward 2 lon -71.10..-71.08, both lat 42.36..42.38; the shared
edge is lon -71.10. Near 42.37 N, 0.0001 degree of latitude is 11.1 m and of longitude 8.2 m.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.types.json import Jsonb

EDGE_LON = -71.10
CENTRE = (-71.11, 42.37)
WARD2_CENTRE = (-71.09, 42.37)

STREETLIGHTS = {
    # asset_id: (lon, lat)
    "SL-1": (-71.1100, 42.3700),
    "SL-2": (-71.1100, 42.3710),  # 111 m north of SL-1
    "SL-OUT": (-71.1150, 42.3650),  # out of service
}

SERVICES = [
    # code, asset types, asset based, radius m, window, scope layer
    ("streetlight_out", ["streetlight"], True, 25.0, "7 days", "ward"),
    ("pothole", [], False, 25.0, "7 days", "ward"),
    ("graffiti", [], False, 25.0, "7 days", None),
]


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point ``east_m`` metres east and ``north_m`` metres north of (lon, lat)."""
    dlat = north_m / 111_132.0
    dlon = east_m / (111_320.0 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def build(conn: psycopg.Connection) -> None:
    """Write the city through plain SQL (in the caller's transaction)."""
    conn.execute(
        "INSERT INTO boundaries.layer (code, name, kind) VALUES ('ward', 'Wards', 'ward')"
    )
    version = conn.execute(
        "INSERT INTO boundaries.version (layer_id, label, valid_from, source_name, "
        "source_sha256) SELECT id, '2020', '2020-01-01', 'city.py', repeat('a', 64) "
        "FROM boundaries.layer WHERE code = 'ward' RETURNING id"
    ).fetchone()
    assert version is not None
    for code, (west, east) in (("1", (-71.12, -71.10)), ("2", (-71.10, -71.08))):
        conn.execute(
            "INSERT INTO boundaries.feature (version_id, code, name, geom) VALUES "
            "(%s, %s, %s, ST_Multi(ST_MakeEnvelope(%s, 42.36, %s, 42.38, 4326)))",
            (version[0], code, f"Ward {code}", west, east),
        )
    conn.execute(
        "INSERT INTO boundaries.feature_part (feature_id, version_id, geom) "
        "SELECT id, version_id, (ST_Dump(geom)).geom FROM boundaries.feature"
    )
    conn.execute(
        "INSERT INTO registry.asset_type (code, name, department, geometry_kind, "
        "snap_radius_m) VALUES ('streetlight', 'Streetlight', 'Public Works', 'point', 30)"
    )
    for code, types, asset_based, radius, window, scope in SERVICES:
        conn.execute(
            "INSERT INTO registry.service (code, name, asset_types, dedup_asset_based, "
            "dedup_radius_m, dedup_window, dedup_scope_layer, sla_hours, attributes) "
            "VALUES (%s, %s, %s, %s, %s, %s::interval, %s, 72, %s)",
            (code, code.replace("_", " ").title(), types, asset_based, radius, window, scope,
             Jsonb([])),
        )
    for asset_id, (lon, lat) in STREETLIGHTS.items():
        conn.execute(
            "INSERT INTO registry.asset (asset_id, type_code, geom, status) VALUES "
            "(%s, 'streetlight', ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s)",
            (asset_id, lon, lat, "out_of_service" if asset_id == "SL-OUT" else "active"),
        )


def clear(conn: psycopg.Connection) -> None:
    """Remove what ``build`` and the cases filed against it wrote (for committed tests)."""
    for statement in (
        "DELETE FROM registry.intake_key",
        "DELETE FROM registry.outbox",
        "DELETE FROM registry.case_event",
        "DELETE FROM registry.case_contact",
        "DELETE FROM registry.case_district",
        "DELETE FROM registry.service_case",
        "DELETE FROM registry.asset",
        "DELETE FROM registry.service",
        "DELETE FROM registry.asset_type",
        "DELETE FROM boundaries.layer",
    ):
        conn.execute(statement)


@contextmanager
def committed(database_url: str) -> Iterator[str]:
    """The city committed to the run's database for the block (for tests that need several
    connections or a live server), then cleared."""
    with psycopg.connect(database_url) as conn:
        build(conn)
    try:
        yield database_url
    finally:
        with psycopg.connect(database_url) as conn:
            clear(conn)
