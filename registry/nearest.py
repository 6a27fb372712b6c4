"""Nearest assets to a point: KNN on the GiST index of ``geom_3857``, distances in metres.

Cases call :func:`nearest` to snap a report to the nearest active asset of the service's types
within the type's radius, and to check that an asset a client named lies within that radius.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from importlib import resources

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from registry.assets import ASSET_COLUMNS, row_to_asset
from registry.errors import InvalidInput
from registry.geometry import MAX_LAT
from registry.models import ASSET_STATUSES, NearestAsset

MAX_LIMIT = 1000
MAX_RADIUS_M = 100_000.0
# Web Mercator's scale differs from the ellipsoid's by < 0.3% per direction at city latitudes;
# the index pre-filter widens the radius by 1% and a metre so it never drops a true match.
RADIUS_MARGIN = 1.01


@cache
def _template() -> str:
    return resources.files("registry").joinpath("sql/nearest.sql").read_text(encoding="utf-8")


def _query(with_types: bool, with_radius: bool) -> sql.Composed:
    filters: list[sql.Composable] = []
    if with_types:
        filters.append(sql.SQL("\n      AND a.type_code = ANY (%(types)s::text[])"))
    if with_radius:
        filters.append(
            sql.SQL(
                "\n      AND ST_DWithin(a.geom_3857, ST_Transform(ST_SetSRID("
                "ST_MakePoint(%(lon)s, %(lat)s), 4326), 3857), %(radius_units)s)"
            )
        )
    radius_check = sql.SQL("c.distance_m <= %(radius_m)s" if with_radius else "true")
    return sql.SQL(_template()).format(
        columns=sql.SQL(ASSET_COLUMNS),
        filters=sql.Composed(filters),
        radius_check=radius_check,
    )


def check_point(lon: float, lat: float) -> None:
    """InvalidInput unless (lon, lat) is a finite WGS84 point within Web Mercator's range."""
    if not (isinstance(lon, int | float) and math.isfinite(lon) and -180 <= lon <= 180):
        raise InvalidInput(f"lon: must be a longitude from -180 to 180, got {lon!r}")
    if not (isinstance(lat, int | float) and math.isfinite(lat) and -MAX_LAT <= lat <= MAX_LAT):
        raise InvalidInput(f"lat: must be a latitude from -{MAX_LAT} to {MAX_LAT}, got {lat!r}")


def statement(
    lon: float,
    lat: float,
    *,
    types: Sequence[str] | None = None,
    radius_m: float | None = None,
    limit: int = 10,
    statuses: Sequence[str] = ("active",),
) -> tuple[sql.Composed, dict[str, object]]:
    """The query :func:`nearest` runs and its parameters (checked), e.g. for EXPLAIN."""
    check_point(lon, lat)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: must be a whole number from 1 to {MAX_LIMIT}")
    if radius_m is not None and not (math.isfinite(radius_m) and 0 < radius_m <= MAX_RADIUS_M):
        raise InvalidInput(f"radius: must be more than 0 and at most {MAX_RADIUS_M:g} metres")
    bad = [s for s in statuses if s not in ASSET_STATUSES]
    if bad or not statuses:
        raise InvalidInput(f"status: must be among {', '.join(ASSET_STATUSES)}")
    params: dict[str, object] = {
        "lon": float(lon),
        "lat": float(lat),
        "statuses": list(statuses),
        "types": list(types) if types is not None else None,
        "radius_m": radius_m,
        # A radius of r metres spans r / cos(lat) Web Mercator units.
        "radius_units": (
            radius_m * RADIUS_MARGIN / math.cos(math.radians(lat)) + 1.0
            if radius_m is not None
            else None
        ),
        "candidates": limit * 2 + 10,
        "limit": limit,
    }
    return _query(types is not None, radius_m is not None), params


def nearest(
    conn: psycopg.Connection,
    lon: float,
    lat: float,
    *,
    types: Sequence[str] | None = None,
    radius_m: float | None = None,
    limit: int = 10,
    statuses: Sequence[str] = ("active",),
) -> list[NearestAsset]:
    """The assets nearest to (lon, lat) in EPSG:4326, nearest first.

    ``types`` limits the asset types (None: all); ``radius_m`` keeps assets at most that many
    metres away (distance to the nearest point of a line or polygon); ``statuses`` the lifecycle
    statuses searched. ``distance_m`` is measured on the WGS84 spheroid. Ties are broken by
    asset id so the answer is stable.
    """
    query, params = statement(
        lon, lat, types=types, radius_m=radius_m, limit=limit, statuses=statuses
    )
    if types is not None and not types:
        return []
    if types is not None and radius_m is None and not _any_of(conn, types, statuses):
        # Without a radius, a KNN walk for a type with no assets would visit the whole index.
        return []
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, params).fetchall()
    return [NearestAsset(row_to_asset(r), float(r["distance_m"])) for r in rows]


def _any_of(conn: psycopg.Connection, types: Sequence[str], statuses: Sequence[str]) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM registry.asset WHERE type_code = ANY (%s) "
        "AND status = ANY (%s))",
        (list(types), list(statuses)),
    ).fetchone()
    return bool(row and row[0])
