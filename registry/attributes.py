"""Asset attributes: the schema of each type, and the rules values must follow.

One rule set, written twice: here in Python for single assets (API), and in
``registry/attributes_sql.py`` as SQL expressions for imports, where a million rows are checked
set-based in the database. ``tests/registry/test_attributes.py`` runs both on the same values
and requires the same answer.

Types: ``string``, ``number``, ``integer``, ``boolean``, ``date`` (``YYYY-MM-DD``; a datetime
is cut to its date) and ``enum`` (one of the listed strings). Text input is accepted for every
type (CSV cells are text): ``"12.5"`` is a number, ``"yes"`` is true. An empty string counts as
absent. Values are stored normalised (numbers without trailing zeros, dates as ``YYYY-MM-DD``), so
the same input always stores the same JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from registry.errors import CatalogError, InvalidInput
from registry.models import ATTRIBUTE_KINDS, AttributeField, AttributeSchema

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Exponents and lengths are bounded so a hostile cell cannot make PostgreSQL's numeric overflow
# and every number stays a finite double for JSON clients.
NUMBER_RE = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,2})?$"
INTEGER_RE = r"^[-+]?[0-9]{1,16}(\.0*)?$"
DATE_RE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$"
)
MAX_NUMBER_TEXT = 40
# Integers beyond 2**53 do not survive a round trip through JSON clients' doubles.
MAX_INTEGER = 2**53
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")

_NUMBER = re.compile(NUMBER_RE)
_INTEGER = re.compile(INTEGER_RE)
_DATE = re.compile(DATE_RE)

REASON = {
    "string": "expected text, got ",
    "number": "expected a number, got ",
    "integer": "expected an integer, got ",
    "boolean": "expected true or false, got ",
    "date": "expected a date (YYYY-MM-DD), got ",
}
FIELD_KEYS = {"name", "type", "required", "values", "source", "description"}


# --- the schema ------------------------------------------------------------------------------


def parse_schema(items: Any, where: str) -> AttributeSchema:
    """Check an attribute list from the catalog file and build the schema."""
    if items is None:
        return AttributeSchema()
    if not isinstance(items, list):
        raise CatalogError(where, "must be a list of attribute definitions")
    fields: list[AttributeField] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise CatalogError(at, "must be a mapping with name and type")
        unknown = set(item) - FIELD_KEYS
        if unknown:
            raise CatalogError(at, f"unknown keys {sorted(unknown)}; allowed: {sorted(FIELD_KEYS)}")
        name = item.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise CatalogError(at, "name must match [a-z][a-z0-9_]*")
        if name in seen:
            raise CatalogError(at, f"attribute {name!r} is defined twice")
        seen.add(name)
        kind = item.get("type")
        if kind not in ATTRIBUTE_KINDS:
            raise CatalogError(f"{at}.type", f"must be one of {', '.join(ATTRIBUTE_KINDS)}")
        values = item.get("values")
        if kind == "enum":
            if not isinstance(values, list) or not values:
                raise CatalogError(f"{at}.values", "an enum needs a non-empty list of values")
            values = [_enum_text(v, f"{at}.values") for v in values]
            if len(set(values)) != len(values):
                raise CatalogError(f"{at}.values", "values repeat")
        elif values is not None:
            raise CatalogError(f"{at}.values", "only enum attributes take values")
        required = item.get("required", False)
        if not isinstance(required, bool):
            raise CatalogError(f"{at}.required", "must be true or false")
        source = item.get("source")
        if source is not None and (not isinstance(source, str) or not source):
            raise CatalogError(f"{at}.source", "must be a field name")
        description = item.get("description", "")
        if not isinstance(description, str):
            raise CatalogError(f"{at}.description", "must be text")
        fields.append(
            AttributeField(
                name=name,
                type=kind,
                required=required,
                values=tuple(values or ()),
                source=source,
                description=description,
            )
        )
    return AttributeSchema(tuple(fields))


def _enum_text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CatalogError(where, f"enum values must be text, got {value!r}")
    text = value if isinstance(value, str) else _number_text(value)
    if not text.strip() or text != text.strip():
        raise CatalogError(where, f"enum value {value!r} is empty or has surrounding spaces")
    return text


# --- values in Python ------------------------------------------------------------------------


class _Bad(Exception):
    pass


def _shown(raw: Any) -> str:
    return json.dumps(raw, ensure_ascii=False, default=str)[:40]


def _present(raw: Any) -> bool:
    return raw is not None and not (isinstance(raw, str) and raw.strip() == "")


def _finite(raw: Any) -> bool:
    return not (isinstance(raw, float) and not math.isfinite(raw))


def _number_text(value: int | float | Decimal) -> str:
    # Matches PostgreSQL's trim_scale(numeric)::text: plain notation, no trailing zeros.
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _json_number(d: Decimal) -> int | float:
    text = _number_text(d)
    return int(text) if "." not in text else float(text)


def _as_text(raw: Any) -> str | None:
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float) and _finite(raw):
        return _number_text(raw)
    return None


def _as_decimal(raw: Any) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float) and _finite(raw):
        return Decimal(str(raw))
    if isinstance(raw, str):
        text = raw.strip()
        if _NUMBER.match(text) and len(text) <= MAX_NUMBER_TEXT:
            try:
                return Decimal(text)
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                return None
    return None


def _coerce(field: AttributeField, raw: Any) -> Any:
    kind = field.type
    if kind == "string":
        text = _as_text(raw)
        if text is None:
            raise _Bad
        return text
    if kind == "number":
        d = _as_decimal(raw)
        if d is None:
            raise _Bad
        return _json_number(d)
    if kind == "integer":
        if isinstance(raw, str) and not _INTEGER.match(raw.strip()):
            raise _Bad
        d = _as_decimal(raw)
        if d is None or d != d.to_integral_value() or abs(d) > MAX_INTEGER:
            raise _Bad
        return int(d)
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS + FALSE_WORDS:
            return raw.strip().lower() in TRUE_WORDS
        if isinstance(raw, int | float) and raw in (0, 1):
            return raw == 1
        raise _Bad
    if kind == "date":
        if isinstance(raw, dt.datetime):
            return raw.date().isoformat()
        if isinstance(raw, dt.date):
            return raw.isoformat()
        if isinstance(raw, str) and _DATE.match(raw.strip()):
            text = raw.strip()
            try:
                return dt.date(int(text[0:4]), int(text[5:7]), int(text[8:10])).isoformat()
            except ValueError:
                raise _Bad from None
        raise _Bad
    if kind == "enum":
        text = _as_text(raw)
        if text is None or text not in field.values:
            raise _Bad
        return text
    raise _Bad  # pragma: no cover - parse_schema admits only the kinds above


def reason(field: AttributeField, raw: Any) -> str:
    """Why ``raw`` is not a valid value of ``field`` (the same words the SQL check uses)."""
    if field.type == "enum":
        return f"expected one of {', '.join(field.values)}; got {_shown(raw)}"
    return REASON[field.type] + _shown(raw)


def coerce(field: AttributeField, raw: Any) -> Any:
    """The normalised value of ``raw`` for ``field``; None when absent; InvalidInput when wrong."""
    if not _present(raw):
        if field.required:
            raise InvalidInput(f"attributes.{field.name}: required")
        return None
    try:
        return _coerce(field, raw)
    except _Bad:
        raise InvalidInput(f"attributes.{field.name}: {reason(field, raw)}") from None


def validate(
    schema: AttributeSchema,
    changes: Mapping[str, Any],
    *,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Apply ``changes`` to ``base`` (JSON merge patch: null removes) and check the result.

    Returns the normalised attributes; raises InvalidInput naming every bad attribute.
    """
    problems: list[str] = []
    merged: dict[str, Any] = dict(base or {})
    for name, raw in changes.items():
        if schema.get(name) is None:
            known = ", ".join(f.name for f in schema.fields) or "none"
            problems.append(f"attributes.{name}: unknown attribute (known: {known})")
            continue
        if raw is None:
            merged.pop(name, None)
        else:
            merged[name] = raw
    result: dict[str, Any] = {}
    for field in schema.fields:
        try:
            value = coerce(field, merged.get(field.name))
        except InvalidInput as exc:
            problems.append(exc.detail)
            continue
        if value is not None:
            result[field.name] = value
    if problems:
        raise InvalidInput("; ".join(problems))
    return result
