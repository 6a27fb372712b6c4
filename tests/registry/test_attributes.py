"""Attribute rules: the Python checks (API) and the SQL expressions (imports) agree."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from registry import attributes, attributes_sql
from registry.errors import CatalogError, InvalidInput
from registry.models import AttributeField, AttributeSchema

FIELDS = {
    "string": AttributeField("s", "string"),
    "number": AttributeField("n", "number"),
    "integer": AttributeField("i", "integer"),
    "boolean": AttributeField("b", "boolean"),
    "date": AttributeField("d", "date"),
    "enum": AttributeField("e", "enum", values=("City", "Private", "7")),
}

# (type, raw JSON value, normalised value or INVALID). None = absent.
INVALID = object()
CASES: list[tuple[str, Any, Any]] = [
    ("string", "  Cobrahead ", "Cobrahead"),
    ("string", 12, "12"),
    ("string", 122.0, "122"),
    ("string", 0.1, "0.1"),
    ("string", True, "true"),
    ("string", "", None),
    ("string", "   ", None),
    ("string", [1], INVALID),
    ("string", {"a": 1}, INVALID),
    ("number", 12.5, 12.5),
    ("number", 1475.0, 1475),
    ("number", "12.50", 12.5),
    ("number", " -3e2 ", -300),
    ("number", ".5", 0.5),
    ("number", "1e99", 10**99),
    ("number", "1e999", INVALID),
    ("number", "NaN", INVALID),
    ("number", "12,5", INVALID),
    ("number", "abc", INVALID),
    ("number", True, INVALID),
    ("number", "9" * 41, INVALID),
    ("integer", 3, 3),
    ("integer", 3.0, 3),
    ("integer", "42", 42),
    ("integer", "42.000", 42),
    ("integer", "-7", -7),
    ("integer", 3.5, INVALID),
    ("integer", "3.5", INVALID),
    ("integer", "two", INVALID),
    ("integer", 2**53, 2**53),
    ("integer", 2**53 + 2, INVALID),
    ("integer", False, INVALID),
    ("boolean", True, True),
    ("boolean", "Yes", True),
    ("boolean", " no ", False),
    ("boolean", "T", True),
    ("boolean", "0", False),
    ("boolean", 1, True),
    ("boolean", 0.0, False),
    ("boolean", "maybe", INVALID),
    ("boolean", 2, INVALID),
    ("date", "2023-02-16", "2023-02-16"),
    ("date", "2023-02-16T00:00:00", "2023-02-16"),
    ("date", "2023-02-16 13:45:01.5+02:00", "2023-02-16"),
    ("date", "2024-02-29", "2024-02-29"),
    ("date", "2023-02-29", INVALID),
    ("date", "2023-13-01", INVALID),
    ("date", "0000-01-01", INVALID),
    ("date", "16/02/2023", INVALID),
    ("date", "2023-02-16Tnonsense", INVALID),
    ("date", 20230216, INVALID),
    ("enum", "City", "City"),
    ("enum", " Private ", "Private"),
    ("enum", 7, "7"),
    ("enum", "city", INVALID),
    ("enum", "State", INVALID),
]


def _python(field: AttributeField, raw: Any) -> Any:
    try:
        return attributes.coerce(field, raw)
    except InvalidInput:
        return INVALID


def _sql(conn: psycopg.Connection, field: AttributeField, raw: Any) -> tuple[Any, str | None]:
    value = sql.SQL("%(raw)s::jsonb")
    query = sql.SQL("SELECT {}, {}").format(
        attributes_sql.value_sql(field, value), attributes_sql.problem_sql(field, value)
    )
    row = conn.execute(query, {"raw": Jsonb(raw) if raw is not None else None}).fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.mark.parametrize(("kind", "raw", "expected"), CASES)
def test_python_rule(kind: str, raw: Any, expected: Any) -> None:
    result = _python(FIELDS[kind], raw)
    if expected is INVALID:
        assert result is INVALID
    else:
        assert result == expected
        assert type(result) is type(expected)


@pytest.mark.parametrize(("kind", "raw", "expected"), CASES)
def test_sql_rule_agrees(db: psycopg.Connection, kind: str, raw: Any, expected: Any) -> None:
    field = FIELDS[kind]
    value, problem = _sql(db, field, raw)
    if expected is INVALID:
        assert value is None
        assert problem is not None and problem.startswith(attributes.reason(field, raw)[:15])
    else:
        assert value == expected
        assert problem is None
        if expected is not None:
            # Same JSON, so the content hash of an asset is the same by either path.
            assert type(value) is type(expected)


def test_required_missing_is_reported_by_both() -> None:
    field = AttributeField("x", "string", required=True)
    with pytest.raises(InvalidInput, match=r"attributes\.x: required"):
        attributes.coerce(field, "  ")


def test_sql_reports_required(db: psycopg.Connection) -> None:
    field = AttributeField("x", "integer", required=True)
    assert _sql(db, field, None) == (None, "required")
    assert _sql(db, field, "") == (None, "required")


def test_validate_merges_and_names_every_problem() -> None:
    schema = AttributeSchema((FIELDS["integer"], FIELDS["enum"], FIELDS["string"]))
    merged = attributes.validate(schema, {"i": "4", "s": None}, base={"s": "old", "e": "City"})
    assert merged == {"i": 4, "e": "City"}
    with pytest.raises(InvalidInput) as err:
        attributes.validate(schema, {"i": "x", "e": "Nope", "zz": 1})
    detail = err.value.detail
    assert "attributes.zz: unknown attribute" in detail
    assert "attributes.i: expected an integer" in detail
    assert "attributes.e: expected one of City, Private, 7" in detail


def test_object_sql_builds_normalised_object(db: psycopg.Connection) -> None:
    schema = AttributeSchema((FIELDS["number"], FIELDS["boolean"], FIELDS["date"]))
    raw = sql.SQL("%(raw)s::jsonb")
    expr = attributes_sql.object_sql(
        schema, {f.name: sql.SQL("({} -> {})").format(raw, sql.Literal(f.name))
                 for f in schema.fields}
    )
    row = db.execute(
        sql.SQL("SELECT {}").format(expr),
        {"raw": Jsonb({"n": "1.50", "b": "yes", "d": ""})},
    ).fetchone()
    assert row is not None
    assert row[0] == {"n": 1.5, "b": True}


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"name": "x"}], "type"),
        ([{"name": "Bad Name", "type": "string"}], "name must match"),
        ([{"name": "x", "type": "enum"}], "non-empty list of values"),
        ([{"name": "x", "type": "string", "values": ["a"]}], "only enum"),
        ([{"name": "x", "type": "string"}, {"name": "x", "type": "number"}], "defined twice"),
        ([{"name": "x", "type": "string", "colour": "red"}], "unknown keys"),
        ([{"name": "x", "type": "enum", "values": ["a", "a"]}], "repeat"),
        ([{"name": "x", "type": "string", "required": "yes"}], "true or false"),
    ],
)
def test_schema_definitions_are_checked(items: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        attributes.parse_schema(items, "asset_types[0].attributes")


def test_schema_round_trips_through_json() -> None:
    schema = attributes.parse_schema(
        [
            {"name": "owner", "type": "enum", "values": ["City", 7], "source": "Owner"},
            {"name": "lamps", "type": "integer", "required": True, "description": "count"},
        ],
        "x",
    )
    assert schema.fields[0].values == ("City", "7")
    assert schema.fields[0].source_field == "Owner"
    assert schema.fields[1].source_field == "lamps"
    assert AttributeSchema.from_json(schema.to_json()) == schema
