"""Render one tile of one layer with ``ST_AsMVT``.

Each (layer, set of filters in force, clustered or not) compiles once to SQL text whose only
variables are bound parameters; psycopg prepares it per connection (``prepare=True``), so the
server parses and plans it once instead of per tile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from psycopg import AsyncConnection, Connection, sql
from psycopg.types.numeric import Int4

from tiles.grid import WORLD, check_tile
from tiles.layers import LayerSpec

EXTENT = 4096
# 64 px of 4096 keeps point symbols and line joins drawn across tile edges (Martin's default).
BUFFER = 64


@dataclass(frozen=True)
class TileQuery:
    """SQL text and parameters for one tile."""

    text: str
    params: dict[str, Any]


def _template(name: str) -> str:
    return (files("tiles") / "sql" / name).read_text()


@cache
def _compile(spec: LayerSpec, filter_names: tuple[str, ...], clustered: bool) -> str:
    template = _template("cluster.sql" if clustered else "tile.sql")
    properties = sql.SQL("").join(
        sql.SQL(", t.{} AS {}").format(sql.Identifier(p), sql.Identifier(p))
        for p in spec.properties
    )
    filters = sql.SQL("").join(
        sql.SQL(" AND ({})").format(sql.SQL(spec.filters[n].sql)) for n in filter_names
    )
    # array_agg(...)[1] works for a property of any type; it is read only for one-point cells.
    singles = sql.SQL("").join(
        sql.SQL(", CASE WHEN count(*) = 1 THEN (array_agg(t.{}))[1] END AS {}").format(
            sql.Identifier(p), sql.Identifier(p))
        for p in spec.properties
    )
    composed = sql.SQL(template).format(
        layer_name=sql.Literal(spec.name),
        extent=sql.Literal(EXTENT),
        buffer=sql.Literal(BUFFER),
        margin=sql.Literal(BUFFER / EXTENT),
        id_column=sql.Identifier(spec.id_column),
        geom_column=sql.Identifier(spec.geom_column),
        properties=properties,
        singles=singles,
        source=sql.SQL(spec.source),
        filters=filters,
        feature_limit=sql.Literal(spec.feature_limit),
    )
    return composed.as_string(None)


def tile_query(
    spec: LayerSpec, z: int, x: int, y: int, values: Mapping[str, str] | None = None
) -> TileQuery:
    """The query for tile z/x/y of ``spec`` with the request's filter values."""
    check_tile(z, x, y)
    names, params = spec.bind(values or {})
    clustered = spec.cluster_maxzoom is not None and z <= spec.cluster_maxzoom
    # Int4 keeps the parameter types the same for every tile, so the prepared statement is
    # reused (plain ints would be sent as int2 or int4 depending on their size).
    params.update(z=Int4(z), x=Int4(x), y=Int4(y))
    if clustered:
        params["cell"] = WORLD / (1 << z) / spec.cluster_cells
    return TileQuery(_compile(spec, names, clustered), params)


def render(conn: Connection, query: TileQuery) -> bytes:
    """The tile's MVT bytes (empty when no feature falls in it)."""
    cur = conn.cursor(binary=True)
    cur.execute(query.text, query.params, prepare=True)
    row = cur.fetchone()
    return bytes(row[0]) if row and row[0] else b""


async def render_async(conn: AsyncConnection, query: TileQuery) -> bytes:
    """``render`` for an async connection."""
    cur = conn.cursor(binary=True)
    await cur.execute(query.text, query.params, prepare=True)
    row = await cur.fetchone()
    return bytes(row[0]) if row and row[0] else b""
