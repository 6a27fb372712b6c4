"""The service's tile layers: assets, cases and one per boundary layer.

The tile package knows only layer specs; this module holds the domain knowledge: which
columns are public, which filters exist and how their values are read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from tiles.layers import Filter, LayerSpec

ASSET_STATUSES = ("planned", "active", "out_of_service", "retired")
CASE_STATUSES = ("open", "in_progress", "closed")

# Cache-Control per layer: assets and boundaries change rarely, so browsers may keep them; cases
# change all day, so browsers revalidate (a 304 is cheap) after the server cache's bound.
ASSETS_CACHE = "public, max-age=3600"
BOUNDARIES_CACHE = "public, max-age=86400"
CASES_CACHE = "public, max-age=2, must-revalidate"


def _source(name: str) -> str:
    text = (files("gis311") / "sql" / "tiles" / f"{name}.sql").read_text()
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def _words(allowed: tuple[str, ...] | None, param: str) -> Any:
    def parse(raw: str) -> Mapping[str, Any]:
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not values:
            raise ValueError("no value given")
        if allowed is not None:
            unknown = sorted(set(values) - set(allowed))
            if unknown:
                raise ValueError(f"{', '.join(unknown)} not among {', '.join(allowed)}")
        elif any(len(v) > 64 for v in values):
            raise ValueError("values are at most 64 characters")
        return {param: values}

    return parse


def _since(raw: str) -> Mapping[str, Any]:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = datetime.combine(date.fromisoformat(raw), datetime.min.time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return {"f_since": moment}


def _district(raw: str) -> Mapping[str, Any]:
    layer, sep, code = raw.partition(":")
    if not sep or not layer or not code:
        raise ValueError("expected <layer>:<code>, e.g. ward:3")
    return {"f_district_layer": layer, "f_district_code": code}


def _json_list(param: str) -> Any:
    def parse(raw: str) -> Mapping[str, Any]:
        values = json.loads(raw)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError("expected a JSON list of strings")
        return {param: values}

    return parse


# Filters the server sets from the caller's key, never from the query string (routes drop any
# request parameter starting with SCOPE_PREFIX). An empty list matches nothing.
SCOPE_PREFIX = "scope_"
SCOPE_FILTERS = {
    "scope_departments": Filter(
        "t.service_code IN (SELECT s.code FROM registry.service s "
        "WHERE s.department = ANY(%(f_scope_departments)s))",
        _json_list("f_scope_departments"),
    ),
    "scope_districts": Filter(
        "EXISTS (SELECT 1 FROM registry.case_district d WHERE d.case_id = t.id "
        "AND d.layer || ':' || d.code = ANY(%(f_scope_districts)s))",
        _json_list("f_scope_districts"),
    ),
}


def scope_values(departments: tuple[str, ...] | None, districts: tuple[str, ...] | None
                 ) -> dict[str, str]:
    """The hidden filter values that limit the cases layer to a caller's scope."""
    values = {}
    if departments is not None:
        values["scope_departments"] = json.dumps(list(departments))
    if districts is not None:
        values["scope_districts"] = json.dumps(list(districts))
    return values


def _at(raw: str) -> Mapping[str, Any]:
    if raw == "now":
        return {"f_at": datetime.now(UTC)}
    return {"f_at": _since(raw)["f_since"]}


@cache
def assets() -> LayerSpec:
    """Registered assets, drawn as points (lines and polygons for segment and area assets)."""
    return LayerSpec(
        name="assets",
        source=_source("assets"),
        properties={"asset_id": "String", "type": "String", "status": "String"},
        geometry_type="mixed",
        filters={
            "type": Filter("t.type = ANY(%(f_type)s)", _words(None, "f_type"),
                           description="comma list of asset type codes"),
            "status": Filter("t.status = ANY(%(f_status)s)", _words(ASSET_STATUSES, "f_status"),
                             default="planned,active,out_of_service",
                             description="comma list; default all but retired"),
        },
        minzoom=10,
        maxzoom=22,
        cluster_maxzoom=11,
        cache_control=ASSETS_CACHE,
        description="Registered assets (public fields).",
    )


@cache
def cases() -> LayerSpec:
    """311 cases; by default the open ones (open and in progress)."""
    return LayerSpec(
        name="cases",
        source=_source("cases"),
        properties={
            "number": "String", "service_code": "String", "status": "String",
            "duplicate_count": "Number", "is_duplicate": "Boolean", "requested_at": "String",
        },
        filters={
            "status": Filter("t.status = ANY(%(f_status)s)", _words(CASE_STATUSES, "f_status"),
                             default="open,in_progress",
                             description="comma list; default open,in_progress"),
            "service_code": Filter("t.service_code = ANY(%(f_service_code)s)",
                                   _words(None, "f_service_code"),
                                   description="comma list of service codes"),
            "since": Filter("t.requested_at_ts >= %(f_since)s", _since,
                            description="requested at or after (ISO 8601 date or datetime)"),
            "district": Filter(
                "EXISTS (SELECT 1 FROM registry.case_district d WHERE d.case_id = t.id "
                "AND d.layer = %(f_district_layer)s AND d.code = %(f_district_code)s)",
                _district, description="<layer>:<code>, e.g. ward:3"),
            **SCOPE_FILTERS,
        },
        minzoom=8,
        maxzoom=22,
        # Up to z13 a tile spans several kilometres of a city: a crew sees where cases gather
        # as counts, and the tile stays small (a z12 tile of a busy city would otherwise hold
        # tens of thousands of points).
        cluster_maxzoom=13,
        cache_control=CASES_CACHE,
        description="311 cases (public fields).",
    )


_boundary_specs: dict[str, LayerSpec] = {}


def boundary(layer: str) -> LayerSpec:
    """The tile layer of boundary layer ``layer`` (one spec object per code, reused)."""
    spec = _boundary_specs.get(layer)
    if spec is None:
        spec = LayerSpec(
            name=layer,
            source=_source("boundaries"),
            properties={"code": "String", "name": "String", "version": "String"},
            geometry_type="polygon",
            params={"layer": layer},
            filters={
                "at": Filter("t.period @> %(f_at)s", _at, default="now",
                             description="version in force at (ISO 8601); default now"),
            },
            minzoom=0,
            maxzoom=22,
            feature_limit=10_000,
            cache_control=BOUNDARIES_CACHE,
            description=f"Boundary layer {layer}.",
        )
        _boundary_specs[layer] = spec
    return spec
