"""The catalog file is checked key by key, and errors name the entry and the key."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from registry import catalog_file
from registry.errors import CatalogError
from tests.conftest import REPO

TYPE = {
    "code": "streetlight", "name": "Streetlight", "department": "Electrical",
    "geometry_kind": "point", "snap_radius_m": 30,
}
SERVICE = {
    "code": "streetlight_out", "name": "Streetlight out", "asset_types": ["streetlight"],
    "dedup": {"asset_based": True, "radius_m": 25, "window": "7 days", "scope": "police_sector"},
    "sla_hours": 72,
    "attributes": [{"code": "light_state", "datatype": "singlevaluelist", "required": True,
                    "values": [{"key": "out", "name": "Out"}]}],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    data = {"asset_types": [copy.deepcopy(TYPE)], "services": [copy.deepcopy(SERVICE)]}
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return data


def test_example_catalog_parses() -> None:
    parsed = catalog_file.read(REPO / "catalog.example.yaml")
    codes = {t.code for t in parsed.asset_types}
    assert {"streetlight", "hydrant", "road_segment", "utility_pole", "traffic_signal"} <= codes
    services = {s.code: s for s in parsed.services}
    out = services["streetlight_out"]
    assert out.dedup.asset_based and out.dedup.radius_m == 25
    assert out.dedup.window == timedelta(days=7) and out.dedup.scope_layer == "police_sector"
    assert services["pothole"].asset_types == ("road_segment",)
    assert services["pothole"].dedup.radius_m == 15
    assert out.attributes[0].values[0].key == "out" and out.attributes[0].order == 1


def test_a_valid_mapping_parses() -> None:
    parsed = catalog_file.parse(_with("services.0.active", False))
    assert parsed.services[0].active is False
    assert parsed.asset_types[0].snap_radius_m == 30.0


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        ("asset_types.0.geometry_kind", "area", "asset_types[0].geometry_kind"),
        ("asset_types.0.snap_radius_m", 0, "asset_types[0].snap_radius_m"),
        ("asset_types.0.snap_radius_m", "30", "asset_types[0].snap_radius_m"),
        ("asset_types.0.code", "Street Light", "asset_types[0].code"),
        ("asset_types.0.name", KeyError, "asset_types[0].name"),
        ("asset_types.0.colour", "red", "asset_types[0]"),
        ("services.0.dedup.window", "a week", "services[0].dedup.window"),
        ("services.0.dedup.window", KeyError, "services[0].dedup.window"),
        ("services.0.dedup.scope", "Police Sector", "services[0].dedup.scope"),
        ("services.0.dedup.radius_m", -1, "services[0].dedup.radius_m"),
        ("services.0.dedup.radiusm", 5, "services[0].dedup"),
        ("services.0.sla_hours", 0, "services[0].sla_hours"),
        ("services.0.asset_types", ["streetlight", "streetlight"], "services[0].asset_types"),
        ("services.0.attributes.0.datatype", "list", "services[0].attributes[0].datatype"),
        ("services.0.attributes.0.values", [], "services[0].attributes[0].values"),
        ("services.0.keywords", "light", "services[0].keywords"),
    ],
)
def test_errors_name_the_entry_and_key(path: str, value: Any, where: str) -> None:
    with pytest.raises(CatalogError) as err:
        catalog_file.parse(_with(path, value))
    assert err.value.where == where


def test_dedup_rule_needs_a_radius_or_the_asset() -> None:
    with pytest.raises(CatalogError, match="asset_based: true or a radius_m"):
        catalog_file.parse(_with("services.0.dedup", {"window": "2 days"}))


def test_windows() -> None:
    assert catalog_file.parse_window("48 hours", "w") == timedelta(hours=48)
    assert catalog_file.parse_window("1 week", "w") == timedelta(weeks=1)
    assert catalog_file.parse_window("30 minutes", "w") == timedelta(minutes=30)
    assert catalog_file.parse_window(None, "w") is None


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.yaml"
    bad.write_text("asset_types: [\n")
    with pytest.raises(CatalogError, match=r"catalog\.yaml: file: is not valid YAML"):
        catalog_file.read(bad)
    bad.write_text("asset_types:\n  - code: x\n    geometry_kind: blob\n")
    with pytest.raises(CatalogError, match=r"catalog\.yaml: asset_types\[0\]\.geometry_kind"):
        catalog_file.read(bad)
    with pytest.raises(CatalogError, match="cannot be read"):
        catalog_file.read(tmp_path / "missing.yaml")
