"""The street-address geocoder over street segments with address ranges."""

from __future__ import annotations

import random

import geopandas as gpd
import psycopg
import pytest
from psycopg.types.json import Jsonb
from shapely.geometry import Point

from importers.asset_file import import_assets
from registry import catalog, catalog_file, geocode
from tests.conftest import REPO, shared_data

# Oak St runs west to east, 0.01 degree, numbers 1..99 left and 2..100 right; its block beyond
# (101..199 / 102..200) is digitised east to west. Elm Avenue uses the raw Cambridge fields.
SEGMENTS = [
    ("OAK-1", [(-71.10, 42.37), (-71.09, 42.37)],
     {"street": "Oak St", "left_from": 1, "left_to": 99, "right_from": 2, "right_to": 100}),
    ("OAK-2", [(-71.08, 42.37), (-71.09, 42.37)],
     {"street": "Oak St", "left_from": 101, "left_to": 199, "right_from": 102,
      "right_to": 200}),
    ("ELM-1", [(-71.10, 42.38), (-71.10, 42.385), (-71.10, 42.39)],
     {"Street_Name": "Elm", "Street_Type": "Ave", "L_From": "10", "L_To": "50",
      "R_From": "11", "R_To": "51"}),
    ("ELM-OLD", [(-71.20, 42.38), (-71.20, 42.39)],
     {"street": "Elm Ave", "left_from": 10, "left_to": 50}),
]


@pytest.fixture
def streets(db: psycopg.Connection) -> psycopg.Connection:
    db.execute("INSERT INTO registry.asset_type (code, name, department, geometry_kind, "
               "snap_radius_m) VALUES ('road_segment', 'Street segment', 'Public Works', "
               "'line', 20)")
    for asset_id, points, attributes in SEGMENTS:
        line = "LINESTRING(" + ", ".join(f"{x} {y}" for x, y in points) + ")"
        db.execute(
            "INSERT INTO registry.asset (asset_id, type_code, geom, attributes, status) "
            "VALUES (%s, 'road_segment', ST_GeomFromText(%s, 4326), %s, %s)",
            (asset_id, line, Jsonb(attributes),
             "retired" if asset_id == "ELM-OLD" else "active"),
        )
    return db


@pytest.mark.parametrize(
    ("address", "asset_id", "lon", "lat"),
    [
        ("50 Oak Street", "OAK-1", -71.10 + 0.01 * 48 / 98, 42.37),
        ("51 oak st.", "OAK-1", -71.10 + 0.01 * 50 / 98, 42.37),
        ("1 Oak St, Cambridge, MA 02139", "OAK-1", -71.10, 42.37),
        ("151 Oak St", "OAK-2", -71.08 - 0.01 * 50 / 98, 42.37),
        ("30 Elm Avenue", "ELM-1", -71.10, 42.38 + 0.01 * 20 / 40),
        ("31B Elm Ave", "ELM-1", -71.10, 42.38 + 0.01 * 20 / 40),
    ],
)
def test_addresses_are_interpolated_along_their_segment(
    streets: psycopg.Connection, address: str, asset_id: str, lon: float, lat: float
) -> None:
    found = geocode.geocode(streets, address)
    assert found.asset_id == asset_id
    assert (found.lon, found.lat) == (pytest.approx(lon, abs=1e-9), pytest.approx(lat, abs=1e-9))


@pytest.mark.parametrize(
    ("address", "needle"),
    [
        ("250 Oak St", "no street segment of 'oak st' holds number 250"),
        ("30 Pine St", "no street segment of 'pine st'"),
        ("Oak St and Elm Ave", "is not a house number and a street"),
        ("   ", "is not a house number and a street"),
    ],
)
def test_unresolvable_addresses_name_the_problem(
    streets: psycopg.Connection, address: str, needle: str
) -> None:
    with pytest.raises(geocode.AddressNotFound, match=needle):
        geocode.geocode(streets, address)


def test_street_names_are_normalised() -> None:
    assert geocode.normalise_street("Massachusetts  Avenue") == "massachusetts ave"
    assert geocode.normalise_street("Mt. Auburn St.") == "mt auburn st"
    assert geocode.parse("1340-1344 Cambridge Street, Cambridge") == (1340, "cambridge st")


def test_real_cambridge_addresses_land_on_their_centerline(
    db: psycopg.Connection, request: pytest.FixtureRequest
) -> None:
    path = shared_data(request.config, "cambridge/TRANS_Centerlines.geojson")
    catalog.load(db, catalog_file.read(REPO / "catalog.example.yaml"))
    import_assets(db, path, type_code="road_segment")
    lines = gpd.read_file(path).to_crs(26986).set_index("ID")
    sample = lines[(lines["L_From"] > 0) & (lines["L_To"] > lines["L_From"])]
    rng = random.Random(311)
    for segment_id in rng.sample(sorted(sample.index), 200):
        row = sample.loc[segment_id]
        number = rng.randrange(int(row["L_From"]), int(row["L_To"]) + 1, 2)
        found = geocode.geocode(db, f"{number} {row['Street']}, Cambridge, MA")
        hit = lines.loc[found.asset_id]
        assert hit["Street"] == row["Street"]
        sides = [(hit["L_From"], hit["L_To"]), (hit["R_From"], hit["R_To"])]
        assert any(min(a, b) <= number <= max(a, b) and a % 2 == number % 2 for a, b in sides)
        point = gpd.GeoSeries([Point(found.lon, found.lat)], crs=4326).to_crs(26986)[0]
        assert hit.geometry.distance(point) < 0.5, (segment_id, number, found)
