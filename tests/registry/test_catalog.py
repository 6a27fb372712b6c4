"""Loading the catalog into the database: idempotent, reports what changed, never deletes."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import psycopg
import pytest

from registry import catalog, catalog_file
from registry.errors import CatalogError, Conflict, NotFound
from tests.conftest import REPO

EXAMPLE = REPO / "catalog.example.yaml"


def test_load_creates_then_changes_nothing(db: psycopg.Connection) -> None:
    parsed = catalog_file.read(EXAMPLE)
    first = catalog.load(db, parsed)
    assert {c.action for c in first} == {"created"}
    assert len(first) == len(parsed.asset_types) + len(parsed.services)
    again = catalog.load(db, parsed)
    assert {c.action for c in again} == {"unchanged"}


def test_load_reports_changed_fields(db: psycopg.Connection) -> None:
    parsed = catalog_file.read(EXAMPLE)
    catalog.load(db, parsed)
    pothole = next(s for s in parsed.services if s.code == "pothole")
    changed = dataclasses.replace(
        pothole,
        sla_hours=24.0,
        dedup=dataclasses.replace(pothole.dedup, window=timedelta(days=3)),
    )
    edited = catalog_file.CatalogFile(parsed.asset_types, (changed,))
    result = catalog.load(db, edited)
    updates = [c for c in result if c.action == "updated"]
    assert [(c.kind, c.code, c.fields) for c in updates] == [
        ("service", "pothole", ("dedup_window", "sla_hours"))
    ]
    assert str(updates[0]) == "service pothole: updated (dedup_window, sla_hours)"
    stored = catalog.get_service(db, "pothole")
    assert stored.sla_hours == 24 and stored.dedup.window == timedelta(days=3)
    # Entries absent from a file are left alone.
    assert catalog.get_service(db, "streetlight_out").active


def test_reading_back(db: psycopg.Connection) -> None:
    catalog.load(db, catalog_file.read(EXAMPLE))
    light = catalog.get_asset_type(db, "streetlight")
    assert light.geometry_kind == "point" and light.id_field == "PoleID"
    assert light.attribute_schema.get("lamps") is not None
    assert set(light.service_codes) >= {"streetlight_out", "streetlight_knockdown"}
    service = catalog.get_service(db, "streetlight_out")
    assert service.asset_types == ("streetlight",)
    assert service.dedup.scope_layer == "police_sector" and service.dedup.asset_based
    assert service.attributes[0].code == "light_state"
    # A service's department defaults to its first asset type's; the file may name it.
    assert service.department == "Electrical"
    assert catalog.get_service(db, "hydrant_leak").department == "Water"
    assert catalog.get_service(db, "sidewalk_repair").department == "Public Works"
    assert [t.code for t in catalog.list_asset_types(db)] == sorted(
        t.code for t in catalog.list_asset_types(db)
    )
    assert "graffiti" in {s.code for s in catalog.list_services(db)}
    with pytest.raises(NotFound):
        catalog.get_asset_type(db, "bench")
    with pytest.raises(NotFound):
        catalog.get_service(db, "nope")


def test_service_needs_known_asset_types(db: psycopg.Connection) -> None:
    data = {"services": [{"code": "bench_broken", "name": "Bench broken",
                          "asset_types": ["bench"]}]}
    with pytest.raises(CatalogError, match="unknown asset type"):
        catalog.load(db, catalog_file.parse(data))


def test_geometry_kind_is_fixed_once_assets_exist(db: psycopg.Connection) -> None:
    parsed = catalog_file.read(EXAMPLE)
    catalog.load(db, parsed)
    db.execute(
        "INSERT INTO registry.asset (asset_id, type_code, geom) "
        "VALUES ('p1', 'utility_pole', ST_SetSRID(ST_MakePoint(-71.1, 42.37), 4326))"
    )
    pole = next(t for t in parsed.asset_types if t.code == "utility_pole")
    as_line = dataclasses.replace(pole, geometry_kind="line")
    with pytest.raises(Conflict, match="has 1 assets"):
        catalog.load(db, catalog_file.CatalogFile((as_line,), ()))
