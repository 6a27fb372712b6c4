"""Load the demo city's catalog, boundary layers and asset inventories through the importers
that ``gis311 catalog load``, ``gis311 boundaries import`` and ``gis311 assets import`` use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from gis311.demo import sources
from importers.asset_file import import_assets
from importers.boundary_file import BoundaryFileOptions, import_boundary_file
from registry import catalog, catalog_file

Say = Callable[[str], None]


@dataclass(frozen=True)
class CityCounts:
    """What the city holds once loaded."""

    asset_types: int
    services: int
    districts: dict[str, int]
    assets: dict[str, int]


def load_city(conn: psycopg.Connection, folder: Path, say: Say) -> CityCounts:
    """Import the catalog, the boundary layers and the inventories found in ``folder`` (as
    ``sources.unpacked`` lays them out), in the caller's transaction."""
    changes = catalog.load(conn, catalog_file.read(folder / sources.CATALOG))
    types = sum(1 for c in changes if c.kind == "asset_type")
    say(f"catalog: {types} asset types, {len(changes) - types} services")
    districts: dict[str, int] = {}
    for b in sources.BOUNDARIES:
        report = import_boundary_file(conn, folder / b.file, BoundaryFileOptions(
            layer=b.layer, code_field=b.code_field, name_field=b.name_field, kind=b.kind,
            layer_name=b.layer_name, label=b.label,
        ))
        districts[b.layer] = report.version.feature_count
        say(f"boundaries: {b.layer} from {b.file}: {report.version.feature_count} districts")
    counts: dict[str, int] = {}
    for a in sources.ASSETS:
        result = import_assets(conn, folder / a.file, type_code=a.type_code)
        counts[a.type_code] = result.created + result.updated + result.unchanged
        say(f"assets: {a.type_code} from {a.file}: {result.created} created, "
            f"{result.rejected} rejected")
    return CityCounts(asset_types=types, services=len(changes) - types,
                      districts=districts, assets=counts)
