"""Geometry rules: the geometry kind of a type, coordinate ranges, validity.

The rules are one SQL expression (:func:`problem_sql`), used by the bulk import on every staged
row and by :func:`from_geojson` for a single asset, so both paths refuse the same geometries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql

from registry.errors import InvalidInput

# The geometry types each kind accepts (PostGIS GeometryType names).
KIND_TYPES: dict[str, tuple[str, ...]] = {
    "point": ("POINT",),
    "line": ("LINESTRING", "MULTILINESTRING"),
    "polygon": ("POLYGON", "MULTIPOLYGON"),
}
# Web Mercator's latitude limit: geom_3857 (KNN, tiles) must stay finite.
MAX_LAT = 85.0511


def problem_sql(kind: str, geom: sql.Composable) -> sql.Composable:
    """SQL text expression: why ``geom`` is unacceptable for an asset of ``kind``, or NULL."""
    allowed = KIND_TYPES[kind]
    swapped = (
        " || CASE WHEN abs(ST_Y({g})) > 90 AND abs(ST_X({g})) <= 90 "
        "THEN '; are latitude and longitude swapped?' ELSE '' END"
    )
    template = (
        "(CASE WHEN {g} IS NULL THEN 'no geometry' "
        "WHEN ST_IsEmpty({g}) THEN 'empty geometry' "
        "WHEN GeometryType({g}) <> ALL({allowed}) THEN {expected} || GeometryType({g}) "
        "WHEN NOT (ST_XMin({g}) >= -180 AND ST_XMax({g}) <= 180 "
        "AND ST_YMin({g}) >= -{lat} AND ST_YMax({g}) <= {lat}) THEN "
        "'coordinates out of range (longitude -180..180, latitude -{lat}..{lat}): ' "
        "|| ST_AsText(ST_Envelope({g}), 6)" + (swapped if kind == "point" else "") + " "
        + (
            "WHEN NOT ST_IsValid({g}) THEN 'invalid geometry: ' || ST_IsValidReason({g}) "
            if kind != "point"
            else ""
        )
        + "END)"
    )
    return sql.SQL(template).format(
        g=geom,
        allowed=sql.Literal(list(allowed)),
        expected=sql.Literal(f"expected a {kind} geometry, got "),
        lat=sql.SQL(str(MAX_LAT)),
    )


def from_geojson(conn: psycopg.Connection, geometry: Mapping[str, Any], kind: str) -> str:
    """Check a GeoJSON geometry (EPSG:4326) for an asset of ``kind``; its EWKB as hex.

    Raises InvalidInput naming the problem (malformed GeoJSON, wrong kind, out of range,
    invalid polygon).
    """
    if not isinstance(geometry, Mapping) or not isinstance(geometry.get("type"), str):
        raise InvalidInput("geometry: must be a GeoJSON geometry object with a type")
    text = json.dumps(geometry, allow_nan=False)
    query = sql.SQL(
        "SELECT encode(ST_AsEWKB(g), 'hex'), {problem} "
        "FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON(%s::text), 4326) AS g) s"
    ).format(problem=problem_sql(kind, sql.SQL("s.g")))
    try:
        with conn.transaction():
            row = conn.execute(query, (text,)).fetchone()
    except (psycopg.errors.InternalError_, psycopg.errors.DataException) as exc:
        message = (exc.diag.message_primary or str(exc)).strip()
        raise InvalidInput(f"geometry: not valid GeoJSON ({message})") from None
    assert row is not None
    hexwkb, problem = row
    if problem is not None:
        raise InvalidInput(f"geometry: {problem}")
    return str(hexwkb)
