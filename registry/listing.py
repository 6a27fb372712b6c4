"""Pages of assets: filters by type, status, bounding box and update time; keyset pagination.

Pages are ordered by (updated_at, asset_id), so a client that syncs with ``updated_after`` sees
every change exactly once and an asset changed while it pages moves to a later page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from registry.assets import ASSET_COLUMNS, row_to_asset
from registry.errors import InvalidInput
from registry.geometry import MAX_LAT
from registry.models import ASSET_STATUSES, Asset

MAX_LIMIT = 1000
BBox = tuple[float, float, float, float]
After = tuple[datetime, str]


@dataclass(frozen=True)
class AssetFilter:
    """Which assets to list; empty sequences and None mean no condition."""

    types: Sequence[str] = ()
    statuses: Sequence[str] = ()
    bbox: BBox | None = None
    updated_after: datetime | None = None


def check_bbox(bbox: Sequence[float]) -> BBox:
    """(min lon, min lat, max lon, max lat) in EPSG:4326, checked; InvalidInput otherwise."""
    if len(bbox) != 4 or not all(
        isinstance(v, int | float) and math.isfinite(v) for v in bbox
    ):
        raise InvalidInput("bbox: must be four numbers minlon,minlat,maxlon,maxlat")
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidInput(
            "bbox: must be minlon,minlat,maxlon,maxlat with min <= max, longitudes in "
            "-180..180 and latitudes in -90..90"
        )
    return (minx, miny, maxx, maxy)


def list_assets(
    conn: psycopg.Connection,
    where: AssetFilter,
    *,
    limit: int = 100,
    after: After | None = None,
) -> tuple[list[Asset], After | None]:
    """One page of assets and the key to pass as ``after`` for the next (None at the end)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: must be from 1 to {MAX_LIMIT}")
    bad = [s for s in where.statuses if s not in ASSET_STATUSES]
    if bad:
        raise InvalidInput(f"status: unknown {', '.join(bad)}; use {', '.join(ASSET_STATUSES)}")
    conditions: list[sql.Composable] = []
    params: dict[str, object] = {"limit": limit + 1}
    if where.types:
        conditions.append(sql.SQL("a.type_code = ANY (%(types)s::text[])"))
        params["types"] = list(where.types)
    if where.statuses:
        conditions.append(sql.SQL("a.status = ANY (%(statuses)s::text[])"))
        params["statuses"] = list(where.statuses)
    if where.bbox is not None:
        minx, miny, maxx, maxy = check_bbox(where.bbox)
        # Clamped to Web Mercator's latitudes so the envelope transforms to finite numbers.
        conditions.append(
            sql.SQL(
                "ST_Intersects(a.geom_3857, ST_Transform(ST_MakeEnvelope(%(minx)s, %(miny)s, "
                "%(maxx)s, %(maxy)s, 4326), 3857))"
            )
        )
        params.update(
            minx=minx, maxx=maxx,
            miny=max(miny, -MAX_LAT), maxy=min(maxy, MAX_LAT),
        )
    if where.updated_after is not None:
        conditions.append(sql.SQL("a.updated_at > %(updated_after)s"))
        params["updated_after"] = where.updated_after
    if after is not None:
        conditions.append(sql.SQL("(a.updated_at, a.asset_id) > (%(after_at)s, %(after_id)s)"))
        params.update(after_at=after[0], after_id=after[1])
    query = sql.SQL(
        "SELECT {cols} FROM registry.asset a WHERE {where} "
        "ORDER BY a.updated_at, a.asset_id LIMIT %(limit)s"
    ).format(
        cols=sql.SQL(ASSET_COLUMNS),
        where=sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("true"),
    )
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, params).fetchall()
    assets = [row_to_asset(r) for r in rows[:limit]]
    if len(rows) > limit:
        last = assets[-1]
        return assets, (last.updated_at, last.asset_id)
    return assets, None
