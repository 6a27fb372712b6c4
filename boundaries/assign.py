"""District assignment: which district of every layer a point falls in, at a time.

Both forms run against ``boundaries.feature_part`` (the districts cut into pieces of a few
dozen vertices, GiST-indexed) and keep only versions in force at the point's time.

Edge rule: a point inside or on the edge of a district belongs to it (ST_Intersects), so no
point on a boundary line is left without a district; when that makes a point match several
districts of one layer (on an edge they share, or where the source data overlaps), it goes to
the one whose code sorts first in the C collation. C collation is byte order, identical on
every server whatever its locale, and codes survive re-imports while row ids do not, so the
same point always gets the same district. A point in no district of a layer gets no entry
for that layer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from psycopg import Connection, sql
from psycopg.rows import class_row

from boundaries import sql as sqlfiles
from boundaries.errors import InvalidInput
from boundaries.models import Assignment

RESULT_COLUMNS = ("point_id", "layer", "layer_id", "version", "version_id", "feature_id", "code")


def _aware(at: datetime | None) -> datetime | None:
    # A time without a zone is taken as UTC, never as the database session's zone.
    if at is not None and at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at


def check_point(lon: float, lat: float) -> None:
    """InvalidInput unless lon/lat are finite and within [-180, 180] / [-90, 90]."""
    if not (-180.0 <= lon <= 180.0) or not (-90.0 <= lat <= 90.0):  # NaN fails both tests
        raise InvalidInput(
            f"point lon={lon} lat={lat} is not a longitude in [-180, 180] and a latitude in "
            "[-90, 90] (EPSG:4326)"
        )


def assign(
    conn: Connection, lon: float, lat: float, at: datetime | None = None
) -> dict[str, Assignment]:
    """Layer code -> the district containing (lon, lat) in the version in force at ``at``.

    ``at`` defaults to the transaction's time; a naive datetime is taken as UTC. One query
    over all layers; see the module docstring for points on edges.
    """
    check_point(lon, lat)
    with conn.cursor(row_factory=class_row(Assignment)) as cur:
        rows = cur.execute(
            sqlfiles.load("assign_point"), {"lon": lon, "lat": lat, "at": _aware(at)}
        ).fetchall()
    return {row.layer: row for row in rows}


def _qualified(name: str) -> sql.Identifier:
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise InvalidInput(f"{name!r} is not a table name (name or schema.name)")
    return sql.Identifier(*parts)


def assign_table(
    conn: Connection,
    table: str,
    *,
    into: str,
    id_column: str = "id",
    lon_column: str = "lon",
    lat_column: str = "lat",
    geom_column: str | None = None,
    at_column: str | None = "at",
    at: datetime | None = None,
    layers: Sequence[str] | None = None,
) -> int:
    """Assign every point of ``table``; write one row per point and layer into ``into``.

    ``table`` (a temporary or staging table) holds a unique ``id_column`` and either
    ``lon_column``/``lat_column`` (EPSG:4326 degrees) or ``geom_column`` (Point, EPSG:4326);
    ``at_column`` (timestamptz, may be NULL) is the time whose versions apply, else ``at``,
    else the transaction's time. Pass ``at_column=None`` when the table has no such column.
    Points without coordinates or outside lon/lat range get no rows.

    ``into`` receives rows (point_id, layer, layer_id, version, version_id, feature_id, code):
    a name without a schema is a TEMP table, created when missing (point_id takes the id
    column's type); ``schema.name`` must exist with those columns. Rows are appended.
    ``layers`` limits the assignment to those layer codes. Returns the number of rows written.

    Runs in a handful of statements: copy the points into an UNLOGGED work table in schema
    boundaries (shared buffers rather than the session's small temp buffers, which would thrash
    on the index probes) with a GiST index, one INSERT ... SELECT, drop the work table.
    """
    source = _qualified(table)
    target = _qualified(into)
    work = sql.Identifier("boundaries", f"assign_work_{uuid.uuid4().hex}")
    if geom_column is not None:
        geom = sql.SQL("{}").format(sql.Identifier(geom_column))
        usable = sql.SQL("{} IS NOT NULL AND NOT ST_IsEmpty({})").format(
            sql.Identifier(geom_column), sql.Identifier(geom_column)
        )
    else:
        lon, lat = sql.Identifier(lon_column), sql.Identifier(lat_column)
        geom = sql.SQL("ST_SetSRID(ST_MakePoint({}, {}), 4326)").format(lon, lat)
        # NaN compares greater than every number, so it fails these tests too.
        usable = sql.SQL("{} BETWEEN -180 AND 180 AND {} BETWEEN -90 AND 90").format(lon, lat)
    when = sql.Identifier(at_column) if at_column else sql.SQL("NULL::timestamptz")
    with conn.transaction():
        conn.execute(
            sql.SQL(
                "CREATE UNLOGGED TABLE {work} AS "
                "SELECT {id} AS point_id, {geom} AS geom, "
                "coalesce({when}, %(at)s::timestamptz, now()) AS at "
                "FROM {source} WHERE {usable}"
            ).format(
                work=work,
                id=sql.Identifier(id_column),
                geom=geom,
                when=when,
                source=source,
                usable=usable,
            ),
            {"at": _aware(at)},
        )
        conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(work))
        conn.execute(sql.SQL("ANALYZE {}").format(work))
        if "." not in into:
            conn.execute(
                sql.SQL(
                    "CREATE TEMP TABLE IF NOT EXISTS {into} AS "
                    "SELECT point_id, ''::text AS layer, 0 AS layer_id, ''::text AS version, "
                    "0 AS version_id, 0::bigint AS feature_id, ''::text AS code "
                    "FROM {work} WITH NO DATA"
                ).format(into=target, work=work)
            )
        cur = conn.execute(
            sql.SQL(sqlfiles.load("assign_table")).format(into=target, work=work),
            {"layers": list(layers) if layers is not None else None},
        )
        written = cur.rowcount
        conn.execute(sql.SQL("DROP TABLE {}").format(work))
    return written
