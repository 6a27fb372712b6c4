"""Bulk asset import, part one: staging tables, COPY, and the per-row checks.

An import runs in one transaction on one connection:

1. :func:`create_tables` makes temporary tables (dropped at commit);
2. the reader streams the file into a raw table with COPY: :func:`copy_csv` passes CSV bytes
   straight through (PostgreSQL parses them), :func:`copy_features` writes one row per feature
   of a spatial file (WKB geometry in EPSG:4326, properties as JSON);
3. :func:`stage` turns raw rows into candidate assets in one INSERT ... SELECT, computing the
   geometry, the normalised attributes and every per-row problem (geometry kind, range,
   validity, id, attribute types) in SQL;
4. ``registry.bulk_apply`` adds the checks across rows and applies the result.

Row numbers are what the reader says: the CSV line number (the header being line 1), or the
feature's 0-based index in a spatial file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from registry import attributes_sql, geometry, ids
from registry.attributes import NUMBER_RE
from registry.models import AssetType

STAGING = sql.Identifier("pg_temp", "asset_staging")
REJECT = sql.Identifier("pg_temp", "asset_reject")
RAW_CSV = sql.Identifier("pg_temp", "asset_raw_csv")
RAW_FEATURES = sql.Identifier("pg_temp", "asset_raw_features")
MATCH = sql.Identifier("pg_temp", "asset_match")  # made by registry/sql/import_apply.sql


@dataclass(frozen=True)
class CsvLayout:
    """Where things are in a CSV file: its header, the id column and the coordinate columns."""

    columns: tuple[str, ...]
    id_field: str | None
    lon_field: str
    lat_field: str
    srid: int = 4326


@dataclass(frozen=True)
class FeatureLayout:
    """A spatial file already read into WGS84 features; names the id field for reports."""

    id_field: str | None
    fields: tuple[str, ...] = ()


Layout = CsvLayout | FeatureLayout
# attribute name -> (raw jsonb, its JSON type, its trimmed text) as SQL expressions
Cells = dict[str, tuple[sql.Composable, sql.Composable, sql.Composable]]


def create_tables(conn: psycopg.Connection, layout: Layout) -> None:
    """(Re)create the temporary tables of one import in the current transaction."""
    for table in (STAGING, REJECT, RAW_CSV, RAW_FEATURES, MATCH):
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {} (row_no bigint NOT NULL, asset_id text, "
            "geom geometry(Geometry, 4326), attributes jsonb NOT NULL, "
            "external_ids jsonb NOT NULL, problems jsonb NOT NULL, "
            "ok boolean NOT NULL DEFAULT true) ON COMMIT DROP"
        ).format(STAGING)
    )
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {} (row_no bigint NOT NULL, field text NOT NULL, "
            "reason text NOT NULL, asset_id text) ON COMMIT DROP"
        ).format(REJECT)
    )
    if isinstance(layout, CsvLayout):
        # Positional column names: headers may be long, repeated in case, or not identifiers.
        cols = sql.SQL(", ").join(
            sql.SQL("{} text").format(_col(i)) for i in range(len(layout.columns))
        )
        conn.execute(
            sql.SQL(
                "CREATE TEMP TABLE {} (row_no bigint GENERATED ALWAYS AS IDENTITY "
                "(START WITH 2), {}) ON COMMIT DROP"
            ).format(RAW_CSV, cols)
        )
    else:
        conn.execute(
            sql.SQL(
                "CREATE TEMP TABLE {} (row_no bigint NOT NULL, asset_id text, wkb bytea, "
                "raw jsonb NOT NULL, external_ids jsonb NOT NULL) ON COMMIT DROP"
            ).format(RAW_FEATURES)
        )


def _col(index: int) -> sql.Identifier:
    return sql.Identifier(f"c{index + 1}")


def copy_csv(
    conn: psycopg.Connection,
    layout: CsvLayout,
    chunks: Iterable[bytes],
    *,
    delimiter: str = ",",
    on_chunk: Callable[[int], None] | None = None,
) -> None:
    """Stream the CSV body (everything after the header line) into the raw table."""
    cols = sql.SQL(", ").join(_col(i) for i in range(len(layout.columns)))
    statement = sql.SQL(
        "COPY {} ({}) FROM STDIN (FORMAT csv, DELIMITER {}, ENCODING 'UTF8')"
    ).format(RAW_CSV, cols, sql.Literal(delimiter))
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for chunk in chunks:
            copy.write(chunk)
            if on_chunk is not None:
                on_chunk(len(chunk))


def copy_features(
    conn: psycopg.Connection,
    rows: Iterable[tuple[int, str | None, bytes | None, str, str]],
) -> None:
    """Write features: (row_no, asset_id, WKB in EPSG:4326, raw attributes JSON, ids JSON).

    Raw attributes are keyed by attribute name; external ids by file field name.
    """
    statement = sql.SQL(
        "COPY {} (row_no, asset_id, wkb, raw, external_ids) FROM STDIN"
    ).format(RAW_FEATURES)
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _csv_number(text: sql.Composable) -> sql.Composable:
    return sql.SQL("(CASE WHEN btrim({t}) ~ {re} THEN btrim({t})::float8 END)").format(
        t=text, re=sql.Literal(NUMBER_RE)
    )


def _csv_coordinate_problem(text: sql.Composable, what: str) -> sql.Composable:
    return sql.SQL(
        "(CASE WHEN {t} IS NULL OR btrim({t}) = '' THEN {missing} "
        "WHEN btrim({t}) !~ {re} THEN {bad} || left({t}, 40) END)"
    ).format(
        t=text,
        re=sql.Literal(NUMBER_RE),
        missing=sql.Literal(f"missing {what}"),
        bad=sql.Literal(f"{what} is not a number: "),
    )


@dataclass(frozen=True)
class Staged:
    """What :func:`stage` built: the row count, and the field each problem key stands for.

    A row's problems are a JSON object keyed by the position of each check (two checks may
    name the same field), e.g. ``{"3": "expected an integer, got \"two\""}``.
    """

    rows: int
    fields: dict[str, str]


def stage(conn: psycopg.Connection, asset_type: AssetType, layout: Layout) -> Staged:
    """Build candidate assets from the raw rows, with each row's problems.

    Every value is computed once per row in a LATERAL subquery (``OFFSET 0`` keeps PostgreSQL
    from folding it back into each expression that uses it): the coordinates, the geometry,
    the normalised attribute values; the problems then only compare them with the raw input.
    """
    r = sql.Identifier("r")
    problems: list[tuple[str, sql.Composable]] = []
    laterals: list[sql.Composable] = []
    g = sql.SQL("g.geom")
    if isinstance(layout, CsvLayout):
        index = {name: i for i, name in enumerate(layout.columns)}

        def column(name: str) -> sql.Composable:
            return sql.SQL("{}.{}").format(r, _col(index[name]))

        x, y = column(layout.lon_field), column(layout.lat_field)
        laterals.append(sql.SQL("(SELECT {} AS x, {} AS y OFFSET 0) n").format(
            _csv_number(x), _csv_number(y)
        ))
        point: sql.Composable = sql.SQL("ST_SetSRID(ST_MakePoint(n.x, n.y), {})").format(
            sql.Literal(layout.srid)
        )
        if layout.srid != 4326:
            point = sql.SQL("ST_Transform({}, 4326)").format(point)
        # A missing or unreadable coordinate is reported on its own field, not the geometry.
        laterals.append(sql.SQL(
            "(SELECT CASE WHEN n.x IS NOT NULL AND n.y IS NOT NULL THEN {} END AS geom, "
            "n.x IS NOT NULL AND n.y IS NOT NULL AS raw_ok OFFSET 0) g"
        ).format(point))
        raw_id = column(layout.id_field) if layout.id_field else None
        cells: Cells = {
            f.name: (sql.SQL("to_jsonb({})").format(column(f.source_field)),
                     sql.SQL("CASE WHEN {c} IS NOT NULL THEN 'string' END").format(
                         c=column(f.source_field)),
                     sql.SQL("btrim({})").format(column(f.source_field)))
            for f in asset_type.attribute_schema.fields
            if f.source_field in index
        }
        ext_expr: sql.Composable = _ext_object([
            (name, sql.SQL("NULLIF(btrim({}), '')").format(column(name)))
            for name in asset_type.external_id_fields
            if name in index
        ])
        source = sql.SQL("{} r").format(RAW_CSV)
        problems += [
            (layout.lon_field, _csv_coordinate_problem(x, "longitude")),
            (layout.lat_field, _csv_coordinate_problem(y, "latitude")),
        ]
        geometry_field = f"{layout.lon_field}/{layout.lat_field}"
    else:
        laterals.append(sql.SQL(
            "(SELECT ST_GeomFromWKB(r.wkb, 4326) AS geom, true AS raw_ok OFFSET 0) g"
        ))
        raw_id = sql.SQL("r.asset_id") if layout.id_field else None
        cells = {}
        for f in asset_type.attribute_schema.fields:
            j = sql.SQL("(r.raw -> {})").format(sql.Literal(f.name))
            cells[f.name] = (j, attributes_sql.kind_sql(j), attributes_sql.text_sql(j))
        ext_expr = sql.SQL("r.external_ids")
        source = sql.SQL("{} r").format(RAW_FEATURES)
        geometry_field = "geometry"
    if raw_id is not None:
        laterals.append(sql.SQL("(SELECT NULLIF(btrim({}), '') AS asset_id OFFSET 0) i").format(
            raw_id
        ))
        id_expr: sql.Composable = sql.SQL("i.asset_id")
        problems.append((layout.id_field or "", ids.problem_sql(id_expr)))
    else:
        id_expr = sql.SQL("CASE WHEN g.geom IS NOT NULL THEN {} END").format(
            ids.located_sql(asset_type.code, g)
        )
    problems.append((
        geometry_field,
        sql.SQL("CASE WHEN g.raw_ok THEN {} END").format(
            geometry.problem_sql(asset_type.geometry_kind, g)
        ),
    ))
    # Per attribute: the raw cell's jsonb, JSON type and trimmed text (lateral j), then its
    # normalised value (lateral v).
    parts: list[sql.Composable] = []
    values: list[sql.Composable] = []
    pairs: list[sql.Composable] = []
    for field in asset_type.attribute_schema.fields:
        if field.name not in cells:
            if field.required:
                problems.append((field.source_field, sql.Literal("required")))
            continue
        n = len(values)
        json_expr, kind_expr, text_expr = cells[field.name]
        parts.append(sql.SQL("{} AS {}, {} AS {}, {} AS {}").format(
            json_expr, sql.Identifier(f"j{n}"), kind_expr, sql.Identifier(f"k{n}"),
            text_expr, sql.Identifier(f"t{n}"),
        ))
        raw = attributes_sql.Raw(*(sql.SQL("j.{}").format(sql.Identifier(f"{p}{n}"))
                               for p in ("j", "k", "t")))
        alias = sql.Identifier(f"a{n}")
        values.append(sql.SQL("{} AS {}").format(attributes_sql.value_sql(field, raw), alias))
        value = sql.SQL("v.{}").format(alias)
        pairs += [sql.Literal(field.name), value]
        problems.append((field.source_field, attributes_sql.problem_sql(field, raw, value=value)))
    if values:
        laterals.append(sql.SQL("(SELECT {} OFFSET 0) j").format(sql.SQL(", ").join(parts)))
        laterals.append(sql.SQL("(SELECT {} OFFSET 0) v").format(sql.SQL(", ").join(values)))
        attrs: sql.Composable = sql.SQL("jsonb_strip_nulls(jsonb_build_object({}))").format(
            sql.SQL(", ").join(pairs)
        )
    else:
        attrs = sql.SQL("'{}'::jsonb")
    query = sql.SQL(
        "INSERT INTO {staging} (row_no, asset_id, geom, attributes, external_ids, problems) "
        "SELECT r.row_no, {id}, g.geom, {attrs}, {ext}, "
        "CASE WHEN {all_null} THEN '{{}}'::jsonb "
        "ELSE jsonb_strip_nulls(jsonb_build_object({problems})) END "
        "FROM {source} {laterals}"
    ).format(
        staging=STAGING,
        id=id_expr,
        attrs=attrs,
        ext=ext_expr,
        # Most rows have no problem: test that first and build the object only for the rest.
        all_null=sql.SQL(" AND ").join(
            sql.SQL("{} IS NULL").format(expr) for _, expr in problems
        ),
        problems=sql.SQL(", ").join(
            sql.SQL("{}, {}").format(sql.Literal(str(i)), expr)
            for i, (_, expr) in enumerate(problems)
        ),
        source=source,
        laterals=sql.SQL(" ").join(sql.SQL("CROSS JOIN LATERAL {}").format(x) for x in laterals),
    )
    # Temporary tables are never auto-analysed; without row counts the planner guesses badly.
    conn.execute(sql.SQL("ANALYZE {}").format(RAW_CSV if isinstance(layout, CsvLayout)
                                                else RAW_FEATURES))
    cur = conn.execute(query)
    conn.execute(sql.SQL("ANALYZE {}").format(STAGING))
    return Staged(cur.rowcount, {str(i): name for i, (name, _) in enumerate(problems)})


def _ext_object(pairs: Sequence[tuple[str, sql.Composable]]) -> sql.Composable:
    if not pairs:
        return sql.SQL("'{}'::jsonb")
    parts: list[sql.Composable] = []
    for name, expr in pairs:
        parts += [sql.Literal(name), expr]
    return sql.SQL("jsonb_strip_nulls(jsonb_build_object({}))").format(sql.SQL(", ").join(parts))
