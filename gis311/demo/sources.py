"""The demo city's files: the City of Cambridge's open data (ODC-PDDL 1.0), shipped gzipped in
``gis311/demo/data/`` so they come with the wheel.

The importers read plain files, so ``unpacked`` decompresses them into a temporary folder under
their original names: the boundary versions then carry the city's file names and the SHA-256 of
the city's bytes, and asset history says ``import:INFRA_StreetLights.geojson``.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path

CATALOG = "catalog.example.yaml"


@dataclass(frozen=True)
class BoundarySource:
    """A boundary layer of the demo city and the file and fields it comes from."""

    layer: str
    file: str
    code_field: str
    kind: str
    layer_name: str
    label: str
    name_field: str | None = None


@dataclass(frozen=True)
class AssetSource:
    """An asset inventory of the demo city (its type's catalog entry names the id field)."""

    type_code: str
    file: str


# Wards first: the demo's jurisdiction layer, and the default district layer of the map.
BOUNDARIES = (
    BoundarySource("ward", "ELECTIONS_WardsPrecincts.geojson", "Ward", "ward", "Ward", "2022"),
    BoundarySource("precinct", "ELECTIONS_WardsPrecincts.geojson", "WardPrecinct", "precinct",
                   "Precinct", "2022"),
    BoundarySource("neighborhood", "BOUNDARY_CDDNeighborhoods.geojson", "N_HOOD",
                   "neighborhood", "Neighborhood", "CDD", name_field="NAME"),
    BoundarySource("police_sector", "PUBLICSAFETY_PoliceSectors.geojson", "SECTOR",
                   "police_district", "Police sector", "current"),
)

ASSETS = (
    AssetSource("streetlight", "INFRA_StreetLights.geojson"),
    AssetSource("hydrant", "INFRA_Hydrants.geojson"),
    AssetSource("road_segment", "TRANS_Centerlines.geojson"),
    AssetSource("traffic_signal", "TRAFFIC_Signals.geojson"),
    AssetSource("utility_pole", "INFRA_UtilityPoles.geojson"),
)

JURISDICTION_LAYER = "ward"


def data_files() -> list[str]:
    """Names of the files the demo reads (each stored as ``<name>.gz``), catalog first."""
    names = [CATALOG]
    for name in [b.file for b in BOUNDARIES] + [a.file for a in ASSETS]:
        if name not in names:
            names.append(name)
    return names


@contextmanager
def unpacked() -> Iterator[Path]:
    """A temporary folder holding the demo's files decompressed, removed afterwards."""
    data = files("gis311.demo") / "data"
    with tempfile.TemporaryDirectory(prefix="gis311-demo-") as folder:
        target = Path(folder)
        for name in data_files():
            packed = data / (name if name == CATALOG else f"{name}.gz")
            with as_file(packed) as source:
                if name == CATALOG:
                    shutil.copyfile(source, target / name)
                    continue
                with gzip.open(source, "rb") as src, (target / name).open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        yield target
