"""Asset attribute rules as SQL expressions, for checking imports set-based in the database.

The twin of the Python rules in ``registry/attributes.py`` (same types, same normalisation,
same reasons); ``tests/registry/test_attributes.py`` holds the two to the same answers. Each
function returns a ``psycopg.sql`` expression over a raw jsonb value; the bulk import composes
them per attribute of the type (field names and enum values are quoted literals).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from psycopg import sql
from psycopg.types.json import Jsonb

from registry.attributes import (
    DATE_RE,
    FALSE_WORDS,
    INTEGER_RE,
    MAX_INTEGER,
    MAX_NUMBER_TEXT,
    NUMBER_RE,
    REASON,
    TRUE_WORDS,
)
from registry.models import AttributeField, AttributeSchema


@dataclass(frozen=True)
class Raw:
    """A raw value in SQL: the jsonb expression, its ``jsonb_typeof`` and its trimmed text.

    The bulk import computes the three once per row and cell (in a LATERAL subquery) and passes
    the column references, so that the rules below do not recompute them at every use.
    """

    json: sql.Composable
    kind: sql.Composable
    text: sql.Composable

    @classmethod
    def of(cls, expr: sql.Composable) -> Raw:
        """The parts of a jsonb expression, spelled out inline."""
        return cls(expr, kind_sql(expr), text_sql(expr))


def kind_sql(expr: sql.Composable) -> sql.Composable:
    """SQL: the JSON type of a jsonb expression (``string``, ``number``...; NULL for SQL NULL)."""
    return sql.SQL("jsonb_typeof({})").format(expr)


def text_sql(expr: sql.Composable) -> sql.Composable:
    """SQL: a JSON string's trimmed text (any other JSON value as its JSON text, trimmed)."""
    return sql.SQL("btrim({} #>> '{{}}')").format(expr)


def _raw(raw: Raw | sql.Composable) -> Raw:
    return raw if isinstance(raw, Raw) else Raw.of(raw)


def _text_expr(r: Raw) -> sql.Composable:
    """The value as trimmed text (numbers in plain notation, booleans as true/false)."""
    return sql.SQL(
        "(CASE {k} WHEN 'string' THEN {s} "
        "WHEN 'number' THEN trim_scale(({r})::numeric)::text "
        "WHEN 'boolean' THEN ({r})::text END)"
    ).format(r=r.json, k=r.kind, s=r.text)


def present_sql(raw: Raw | sql.Composable) -> sql.Composable:
    """SQL boolean: ``raw`` (a jsonb expression) holds a value (not null, not blank text)."""
    r = _raw(raw)
    return sql.SQL(
        "(CASE {k} WHEN 'null' THEN false WHEN 'string' THEN {s} <> '' "
        "ELSE {r} IS NOT NULL END)"
    ).format(r=r.json, k=r.kind, s=r.text)


def value_sql(field: AttributeField, raw: Raw | sql.Composable) -> sql.Composable:
    """SQL jsonb expression: the normalised value of ``raw``; NULL when absent or invalid."""
    x = _raw(raw)
    r, k, s = x.json, x.kind, x.text
    if field.type == "string":
        return sql.SQL("to_jsonb(NULLIF({t}, ''))").format(t=_text_expr(x))
    if field.type == "enum":
        return sql.SQL("(CASE WHEN {vals} ? {t} THEN to_jsonb({t}) END)").format(
            vals=sql.Literal(Jsonb(list(field.values))), t=_text_expr(x)
        )
    if field.type == "number":
        return sql.SQL(
            "(CASE {k} WHEN 'number' THEN to_jsonb(trim_scale(({r})::numeric)) "
            "WHEN 'string' THEN CASE WHEN {s} ~ {re} AND length({s}) <= {n} "
            "THEN to_jsonb(trim_scale(({s})::numeric)) END END)"
        ).format(r=r, k=k, s=s, re=sql.Literal(NUMBER_RE), n=sql.Literal(MAX_NUMBER_TEXT))
    if field.type == "integer":
        return sql.SQL(
            "(CASE {k} WHEN 'number' THEN CASE WHEN ({r})::numeric = "
            "trunc(({r})::numeric) AND abs(({r})::numeric) <= {max} "
            "THEN to_jsonb(trim_scale(({r})::numeric)) END "
            "WHEN 'string' THEN CASE WHEN {s} ~ {re} THEN CASE WHEN abs(({s})::numeric) <= {max} "
            "THEN to_jsonb(trim_scale(({s})::numeric)) END END END)"
        ).format(r=r, k=k, s=s, re=sql.Literal(INTEGER_RE), max=sql.Literal(MAX_INTEGER))
    if field.type == "boolean":
        return sql.SQL(
            "(CASE {k} WHEN 'boolean' THEN {r} "
            "WHEN 'string' THEN CASE WHEN lower({s}) = ANY({yes}) THEN 'true'::jsonb "
            "WHEN lower({s}) = ANY({no}) THEN 'false'::jsonb END "
            "WHEN 'number' THEN CASE ({r})::numeric WHEN 1 THEN 'true'::jsonb "
            "WHEN 0 THEN 'false'::jsonb END END)"
        ).format(r=r, k=k, s=s, yes=sql.Literal(list(TRUE_WORDS)),
                 no=sql.Literal(list(FALSE_WORDS)))
    if field.type == "date":
        # Calendar arithmetic on integers (make_date and intervals cost 4x more per row); mod(),
        # not the % operator, which psycopg would read as a placeholder. The outer CASE makes
        # sure the casts only ever see digits.
        y, m, d = (sql.SQL("substr({s}, {a}, {n})::int").format(s=s, a=sql.Literal(a),
                                                             n=sql.Literal(n))
                   for a, n in ((1, 4), (6, 2), (9, 2)))
        return sql.SQL(
            "(CASE WHEN {k} = 'string' AND {s} ~ {re} THEN "
            "CASE WHEN {y} >= 1 AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND "
            "CASE WHEN {m} = 2 THEN CASE WHEN (mod({y}, 4) = 0 AND mod({y}, 100) <> 0) "
            "OR mod({y}, 400) = 0 "
            "THEN 29 ELSE 28 END WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END "
            "THEN to_jsonb(left({s}, 10)) END END)"
        ).format(k=k, s=s, re=sql.Literal(DATE_RE), y=y, m=m, d=d)
    raise ValueError(f"unknown attribute type {field.type!r}")  # pragma: no cover


def problem_sql(
    field: AttributeField, raw: Raw | sql.Composable, *, value: sql.Composable | None = None
) -> sql.Composable:
    """SQL text expression: why ``raw`` is unacceptable for ``field``, or NULL when it is fine.

    ``value`` is the already computed :func:`value_sql` of ``raw``, when the caller has it.
    """
    x = _raw(raw)
    if field.type == "enum":
        prefix = f"expected one of {', '.join(field.values)}; got "
    else:
        prefix = REASON[field.type]
    missing = sql.Literal("required") if field.required else sql.SQL("NULL")
    return sql.SQL(
        "(CASE WHEN NOT {present} THEN {missing} WHEN {value} IS NULL "
        "THEN {prefix} || left(({r})::text, 40) END)"
    ).format(
        present=present_sql(x),
        missing=missing,
        value=value if value is not None else value_sql(field, x),
        prefix=sql.Literal(prefix),
        r=x.json,
    )


def object_sql(schema: AttributeSchema, raw_of: Mapping[str, sql.Composable]) -> sql.Composable:
    """SQL jsonb object of every schema attribute's normalised value (absent ones left out).

    ``raw_of`` maps an attribute name to its raw jsonb expression; attributes missing from it
    are absent.
    """
    parts: list[sql.Composable] = []
    for field in schema.fields:
        raw = raw_of.get(field.name)
        if raw is not None:
            parts.extend([sql.Literal(field.name), value_sql(field, raw)])
    if not parts:
        return sql.SQL("'{}'::jsonb")
    return sql.SQL("jsonb_strip_nulls(jsonb_build_object({}))").format(sql.SQL(", ").join(parts))
