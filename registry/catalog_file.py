"""The catalog file: asset types and services in YAML, checked key by key.

Layout (see ``catalog.example.yaml``)::

    asset_types:
      - code: streetlight
        name: Streetlight
        department: Electrical
        geometry_kind: point          # point | line | polygon
        snap_radius_m: 30
        id_field: PoleID              # default --id-field of `gis311 assets import`
        external_id_fields: [Lamp1]   # file fields kept in external_ids
        attributes:                   # see registry.attributes
          - {name: fixture_type, type: string, source: FixtureType}
    services:
      - code: streetlight_out
        name: Streetlight out
        group: Streets and sidewalks
        keywords: [light, dark]
        asset_types: [streetlight]
        dedup: {asset_based: true, radius_m: 25, window: 7 days, scope: police_sector}
        sla_hours: 72
        department: Electrical        # default: the first asset type's department
        attributes:                   # Open311 GeoReport v2 attribute definitions
          - {code: light_state, datatype: singlevaluelist, required: true,
             values: [{key: out, name: Completely out}]}

Unknown keys are errors (a typo must not silently drop a rule); every error names the entry and
the key, e.g. ``services[3].dedup.window``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from registry.attributes import parse_schema
from registry.errors import CatalogError
from registry.models import (
    GEOMETRY_KINDS,
    OPEN311_DATATYPES,
    AssetType,
    DedupRule,
    Open311Attribute,
    Open311Value,
    Service,
)

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
SERVICE_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
WINDOW_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(minutes?|hours?|days?|weeks?)\s*$")
TYPE_KEYS = {
    "code", "name", "department", "geometry_kind", "snap_radius_m", "id_field",
    "external_id_fields", "attributes",
}
SERVICE_KEYS = {
    "code", "name", "description", "group", "keywords", "asset_types", "dedup", "sla_hours",
    "attributes", "active", "department",
}
DEDUP_KEYS = {"asset_based", "radius_m", "window", "scope"}
OPEN311_KEYS = {
    "code", "datatype", "required", "order", "description", "datatype_description",
    "variable", "values",
}
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")


@dataclass(frozen=True)
class CatalogFile:
    """What a catalog file defines."""

    asset_types: tuple[AssetType, ...]
    services: tuple[Service, ...]


def read(path: Path | str) -> CatalogFile:
    """Read and check a catalog YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError("file", f"cannot be read: {exc.strerror}", path=str(path)) from None
    except yaml.YAMLError as exc:
        raise CatalogError("file", f"is not valid YAML: {exc}", path=str(path)) from None
    try:
        return parse(data)
    except CatalogError as exc:
        raise CatalogError(exc.where, exc.reason, path=str(path)) from None


def parse(data: Any) -> CatalogFile:
    """Check a catalog already loaded from YAML (or built in code)."""
    if not isinstance(data, dict):
        raise CatalogError("top level", "must be a mapping with asset_types and services")
    _no_unknown(data, {"asset_types", "services"}, "top level")
    types = tuple(
        _asset_type(item, f"asset_types[{i}]")
        for i, item in enumerate(_list(data.get("asset_types"), "asset_types"))
    )
    services = tuple(
        _service(item, f"services[{i}]")
        for i, item in enumerate(_list(data.get("services"), "services"))
    )
    _unique([t.code for t in types], "asset_types")
    _unique([s.code for s in services], "services")
    return CatalogFile(types, services)


def _asset_type(item: Any, at: str) -> AssetType:
    item = _mapping(item, at, TYPE_KEYS)
    kind = item.get("geometry_kind")
    if kind not in GEOMETRY_KINDS:
        raise CatalogError(f"{at}.geometry_kind", f"must be one of {', '.join(GEOMETRY_KINDS)}")
    radius = _number(item.get("snap_radius_m"), f"{at}.snap_radius_m")
    if not 0 < radius <= 10_000:
        raise CatalogError(f"{at}.snap_radius_m", "must be more than 0 and at most 10000 metres")
    id_field = item.get("id_field")
    if id_field is not None and (not isinstance(id_field, str) or not id_field):
        raise CatalogError(f"{at}.id_field", "must be a field name")
    return AssetType(
        code=_code(item, at, CODE_RE, "[a-z][a-z0-9_]*"),
        name=_text(item, "name", at, required=True),
        department=_text(item, "department", at, required=True),
        geometry_kind=kind,
        attribute_schema=parse_schema(item.get("attributes"), f"{at}.attributes"),
        snap_radius_m=radius,
        id_field=id_field,
        external_id_fields=_texts(item.get("external_id_fields"), f"{at}.external_id_fields"),
    )


def _service(item: Any, at: str) -> Service:
    item = _mapping(item, at, SERVICE_KEYS)
    sla = item.get("sla_hours")
    if sla is not None:
        sla = _number(sla, f"{at}.sla_hours")
        if sla <= 0:
            raise CatalogError(f"{at}.sla_hours", "must be more than 0")
    active = item.get("active", True)
    if not isinstance(active, bool):
        raise CatalogError(f"{at}.active", "must be true or false")
    attributes = tuple(
        _open311(a, f"{at}.attributes[{i}]", i)
        for i, a in enumerate(_list(item.get("attributes"), f"{at}.attributes"))
    )
    _unique([a.code for a in attributes], f"{at}.attributes")
    asset_types = _texts(item.get("asset_types"), f"{at}.asset_types")
    _unique(list(asset_types), f"{at}.asset_types")
    return Service(
        code=_code(item, at, SERVICE_CODE_RE, "[A-Za-z0-9][A-Za-z0-9_.-]*"),
        name=_text(item, "name", at, required=True),
        description=_text(item, "description", at),
        group=_text(item, "group", at),
        keywords=_texts(item.get("keywords"), f"{at}.keywords"),
        asset_types=asset_types,
        dedup=_dedup(item.get("dedup"), f"{at}.dedup"),
        sla_hours=sla,
        attributes=attributes,
        active=active,
        department=_text(item, "department", at) or None,
    )


def _dedup(item: Any, at: str) -> DedupRule:
    if item is None:
        return DedupRule()
    item = _mapping(item, at, DEDUP_KEYS)
    asset_based = item.get("asset_based", False)
    if not isinstance(asset_based, bool):
        raise CatalogError(f"{at}.asset_based", "must be true or false")
    radius = item.get("radius_m")
    if radius is not None:
        radius = _number(radius, f"{at}.radius_m")
        if radius <= 0:
            raise CatalogError(f"{at}.radius_m", "must be more than 0")
    scope = item.get("scope")
    if scope is not None and (not isinstance(scope, str) or not CODE_RE.match(scope)):
        raise CatalogError(f"{at}.scope", "must be a boundary layer code like police_sector")
    window = parse_window(item.get("window"), f"{at}.window")
    if window is None:
        raise CatalogError(f"{at}.window", "a dedup rule needs a window, e.g. '7 days'")
    if not asset_based and radius is None:
        raise CatalogError(at, "a dedup rule needs asset_based: true or a radius_m")
    return DedupRule(radius_m=radius, window=window, scope_layer=scope, asset_based=asset_based)


def parse_window(value: Any, at: str) -> timedelta | None:
    """``"7 days"``, ``"48 hours"``, ``"2 weeks"``, ``"30 minutes"`` as a timedelta."""
    if value is None:
        return None
    match = WINDOW_RE.match(str(value))
    if not match:
        raise CatalogError(at, f"{value!r} is not a window like '7 days' or '48 hours'")
    amount, unit = float(match.group(1)), match.group(2).rstrip("s")
    window = timedelta(**{f"{unit}s": amount})
    if window <= timedelta(0):
        raise CatalogError(at, "must be longer than zero")
    return window


def _open311(item: Any, at: str, index: int) -> Open311Attribute:
    item = _mapping(item, at, OPEN311_KEYS)
    datatype = item.get("datatype")
    if datatype not in OPEN311_DATATYPES:
        raise CatalogError(f"{at}.datatype", f"must be one of {', '.join(OPEN311_DATATYPES)}")
    raw_values = item.get("values")
    values: list[Open311Value] = []
    if datatype in LIST_DATATYPES:
        for j, v in enumerate(_list(raw_values, f"{at}.values")):
            v = _mapping(v, f"{at}.values[{j}]", {"key", "name"})
            key, name = v.get("key"), v.get("name")
            if isinstance(key, bool) or not isinstance(key, str | int):
                raise CatalogError(f"{at}.values[{j}].key", "must be text")
            values.append(Open311Value(str(key), str(name if name is not None else key)))
        if not values:
            raise CatalogError(f"{at}.values", f"a {datatype} needs values")
        _unique([v.key for v in values], f"{at}.values")
    elif raw_values is not None:
        raise CatalogError(f"{at}.values", f"a {datatype} attribute takes no values")
    code = item.get("code")
    if not isinstance(code, str) or not SERVICE_CODE_RE.match(code):
        raise CatalogError(f"{at}.code", "must be a code like light_state")
    order = item.get("order", index + 1)
    if isinstance(order, bool) or not isinstance(order, int):
        raise CatalogError(f"{at}.order", "must be a whole number")
    for key in ("required", "variable"):
        if key in item and not isinstance(item[key], bool):
            raise CatalogError(f"{at}.{key}", "must be true or false")
    return Open311Attribute(
        code=code,
        datatype=datatype,
        required=item.get("required", False),
        order=order,
        description=_text(item, "description", at),
        datatype_description=_text(item, "datatype_description", at),
        variable=item.get("variable", True),
        values=tuple(values),
    )


# --- small checks ----------------------------------------------------------------------------


def _mapping(item: Any, at: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise CatalogError(at, "must be a mapping")
    _no_unknown(item, allowed, at)
    return item


def _no_unknown(item: dict[str, Any], allowed: set[str], at: str) -> None:
    unknown = sorted(str(k) for k in set(item) - allowed)
    if unknown:
        raise CatalogError(at, f"unknown keys {unknown}; allowed: {sorted(allowed)}")


def _list(value: Any, at: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CatalogError(at, "must be a list")
    return value


def _texts(value: Any, at: str) -> tuple[str, ...]:
    items = _list(value, at)
    for i, v in enumerate(items):
        if not isinstance(v, str) or not v.strip():
            raise CatalogError(f"{at}[{i}]", "must be non-empty text")
    return tuple(items)


def _text(item: dict[str, Any], key: str, at: str, *, required: bool = False) -> str:
    value = item.get(key)
    if value is None:
        if required:
            raise CatalogError(f"{at}.{key}", "is required")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise CatalogError(f"{at}.{key}", "must be non-empty text" if required else "must be text")
    return value.strip()


def _number(value: Any, at: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogError(at, f"must be a number, got {value!r}")
    return float(value)


def _code(item: dict[str, Any], at: str, pattern: re.Pattern[str], shape: str) -> str:
    code = item.get("code")
    if not isinstance(code, str) or not pattern.match(code):
        raise CatalogError(f"{at}.code", f"must match {shape}, got {code!r}")
    return code


def _unique(codes: list[str], at: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise CatalogError(at, f"{code!r} appears twice")
        seen.add(code)
