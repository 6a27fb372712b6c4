"""The reads behind Open311: services, requests and tokens (SQL in ``gis311/sql/open311``)."""

from __future__ import annotations

import math
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from gis311.open311.params import RequestQuery
from registry.cases import PUBLIC, CaseScope, scope_condition

Row = dict[str, Any]
# Web Mercator's scale differs from the spheroid's by a fraction of a percent at city latitudes:
# the index pre-filter is widened by 2% and the exact test runs on geography.
RADIUS_MARGIN = 1.02


@cache
def _template(name: str) -> sql.SQL:
    text = (files("gis311") / "sql" / "open311" / f"{name}.sql").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return sql.SQL("\n".join(lines))


def _rows(conn: psycopg.Connection, query: sql.Composed, params: Any) -> list[Row]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def services(conn: psycopg.Connection, code: str | None = None) -> list[Row]:
    """The active services (or the one with ``code``: an empty list when there is none)."""
    condition = sql.SQL("s.code = %(code)s") if code is not None else sql.SQL("true")
    return _rows(conn, _template("services").format(condition=condition), {"code": code})


def changeset(conn: psycopg.Connection) -> datetime | None:
    """When the service list or a service definition last changed."""
    row = conn.execute("SELECT max(updated_at) FROM registry.service").fetchone()
    return row[0] if row else None


def requests(
    conn: psycopg.Connection, query: RequestQuery, scope: CaseScope = PUBLIC
) -> list[Row]:
    """The requests ``query`` selects among those ``scope`` may see, newest first, with the
    extension columns when asked."""
    condition, params = scope_condition(scope)
    conditions: list[sql.Composable] = [condition]
    params.update(limit=query.limit, offset=query.offset)
    if query.ids:
        # A list of ids overrides every other filter (the spec's rule).
        conditions.append(sql.SQL("c.number = ANY(%(ids)s)"))
        params["ids"] = query.ids
    else:
        _filters(query, conditions, params)
    extensions = _template("extensions") if query.extensions else sql.SQL(
        "NULL::jsonb AS districts, NULL::jsonb AS notes"
    )
    statement = _template("requests").format(
        extensions=extensions,
        conditions=sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("true"),
    )
    return _rows(conn, statement, params)


def _filters(query: RequestQuery, conditions: list[sql.Composable], params: dict[str, Any]) -> None:
    if query.service_codes:
        conditions.append(sql.SQL("c.service_code = ANY(%(codes)s)"))
        params["codes"] = query.service_codes
    if query.statuses and set(query.statuses) != {"open", "closed"}:
        # Open311 knows open and closed; in progress is still open.
        conditions.append(sql.SQL("c.status = 'closed'") if set(query.statuses) == {"closed"}
                          else sql.SQL("c.status <> 'closed'"))
    for value, column, op, name in (
        (query.start, "requested_at", ">=", "start"),
        (query.end, "requested_at", "<=", "end"),
        (query.updated_after, "updated_at", ">", "updated_after"),
        (query.updated_before, "updated_at", "<", "updated_before"),
    ):
        if value is not None:
            conditions.append(sql.SQL("c.{} {} {}").format(
                sql.Identifier(column), sql.SQL(op), sql.Placeholder(name)))
            params[name] = value
    if query.bbox is not None:
        conditions.append(sql.SQL(
            "c.geom_3857 && ST_Transform(ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, "
            "%(maxy)s, 4326), 3857) AND c.geom && ST_MakeEnvelope(%(minx)s, %(miny)s, "
            "%(maxx)s, %(maxy)s, 4326)"
        ))
        minx, miny, maxx, maxy = query.bbox
        # Clamped to Web Mercator's latitudes so the envelope transforms to finite numbers.
        params.update(minx=minx, miny=max(miny, -85.0511), maxx=maxx, maxy=min(maxy, 85.0511))
    if query.near is not None:
        lon, lat, radius = query.near
        conditions.append(sql.SQL(
            "ST_DWithin(c.geom_3857, ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), "
            "4326), 3857), %(r3857)s) AND ST_DWithin(c.geom::geography, "
            "ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius)s)"
        ))
        params.update(lon=lon, lat=lat, radius=radius,
                      r3857=radius * RADIUS_MARGIN / math.cos(math.radians(lat)))


def token(conn: psycopg.Connection, value: str, scope: CaseScope = PUBLIC) -> str | None:
    """The request id a token stands for (intake is immediate: a token is the request id)."""
    condition, params = scope_condition(scope)
    row = conn.execute(
        sql.SQL("SELECT c.number FROM registry.service_case c WHERE c.number = %(value)s "
                "AND {}").format(condition),
        {"value": value, **params},
    ).fetchone()
    return str(row[0]) if row else None
