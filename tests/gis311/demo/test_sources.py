"""The demo city's files ship inside the package, small, and unpack to the city's own bytes."""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from pathlib import Path

import pytest

from gis311.demo import sources
from tests.conftest import REPO, shared_data

COUNTS = {
    "ELECTIONS_WardsPrecincts.geojson": 33, "BOUNDARY_CDDNeighborhoods.geojson": 13,
    "PUBLICSAFETY_PoliceSectors.geojson": 5, "INFRA_StreetLights.geojson": 6117,
    "INFRA_Hydrants.geojson": 1960, "TRANS_Centerlines.geojson": 2643,
    "TRAFFIC_Signals.geojson": 785, "INFRA_UtilityPoles.geojson": 2457,
}


def test_the_packed_files_are_a_few_megabytes_at_most() -> None:
    data = Path(str(files("gis311.demo") / "data"))
    sizes = {name: (data / f"{name}.gz").stat().st_size
             for name in sources.data_files() if name != sources.CATALOG}
    assert set(sizes) == set(COUNTS)
    assert sum(sizes.values()) < 3 * 1024 * 1024


def test_unpacked_holds_every_file_with_its_features_and_the_example_catalog() -> None:
    with sources.unpacked() as folder:
        for name, count in COUNTS.items():
            assert len(json.loads((folder / name).read_bytes())["features"]) == count
        catalog = (folder / sources.CATALOG).read_bytes()
    assert catalog == (REPO / "catalog.example.yaml").read_bytes()


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_unpacked_files_are_the_citys_bytes(name: str, request: pytest.FixtureRequest) -> None:
    original = shared_data(request.config, f"cambridge/{name}").read_bytes()
    with sources.unpacked() as folder:
        unpacked = (folder / name).read_bytes()
    assert hashlib.sha256(unpacked).hexdigest() == hashlib.sha256(original).hexdigest()
