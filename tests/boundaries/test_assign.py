"""``boundaries.assign``: one point, a table of points, edges, versions, real Boston cases."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from psycopg import Connection

from boundaries.assign import assign, assign_table
from boundaries.errors import InvalidInput
from importers.boundary_file import BoundaryFileOptions, import_boundary_file
from importers.geofile import parse_crs
from tests.boundaries.sources import fixture_features, load
from tests.conftest import FIXTURES, shared_data

X, Y = -71.12, 42.37
EDGE_LON = -71.11  # the meridian districts "9" and "10" of shared_edge.geojson share
Y2015 = datetime(2015, 5, 18, tzinfo=UTC)
Y2023 = datetime(2023, 1, 1, tzinfo=UTC)


def _versions(db: Connection) -> None:
    """Layer ward: 2015 splits the square west/east, 2023 south/north."""
    for name, start in (("two_versions_2015", Y2015), ("two_versions_2023", Y2023)):
        options = BoundaryFileOptions(
            layer="ward", code_field="ward", valid_from=start,
            office_name_field="office", office_email_field="email",
        )
        import_boundary_file(db, FIXTURES / f"{name}.geojson", options)


def test_assign_answers_every_layer_in_one_call(db: Connection) -> None:
    _versions(db)
    load(db, "precinct", fixture_features("shared_edge.geojson"))
    found = assign(db, X + 0.015, Y + 0.005, Y2023)
    assert {layer: a.code for layer, a in found.items()} == {"ward": "1", "precinct": "10"}
    ward = found["ward"]
    assert (ward.name, ward.version, ward.layer_kind) == ("Ward 1", "2023-01-01", "ward")
    assert (ward.office_name, ward.office_email) == ("Councilor South", "south@example.org")


def test_version_in_force_at_the_time_applies(db: Connection) -> None:
    _versions(db)
    north_east = (X + 0.015, Y + 0.015)
    assert assign(db, *north_east, datetime(2019, 6, 1, tzinfo=UTC))["ward"].code == "2"
    assert assign(db, *north_east, datetime(2024, 6, 1, tzinfo=UTC))["ward"].code == "2"
    south_east = (X + 0.015, Y + 0.005)
    assert assign(db, *south_east, datetime(2019, 6, 1, tzinfo=UTC))["ward"].code == "2"
    assert assign(db, *south_east, datetime(2024, 6, 1, tzinfo=UTC))["ward"].code == "1"
    # The 2015 version starts 2015-05-18: before it, no ward.
    assert assign(db, *south_east, datetime(2010, 1, 1, tzinfo=UTC)) == {}
    # Periods are half-open: at the very start of 2023 the new version applies.
    assert assign(db, *south_east, Y2023)["ward"].version == "2023-01-01"


def test_naive_time_is_utc(db: Connection) -> None:
    _versions(db)
    south_east = (X + 0.015, Y + 0.005)
    assert assign(db, *south_east, datetime(2022, 12, 31, 23, 59))["ward"].code == "2"
    assert assign(db, *south_east, datetime(2023, 1, 1, 0, 0))["ward"].code == "1"


def test_default_time_is_now(db: Connection) -> None:
    _versions(db)
    assert assign(db, X + 0.015, Y + 0.005)["ward"].version == "2023-01-01"


def test_point_on_a_shared_edge_goes_to_the_code_first_in_byte_order(db: Connection) -> None:
    load(db, "precinct", fixture_features("shared_edge.geojson"))
    # "10" sorts before "9" byte by byte (not numerically): the rule is about determinism.
    assert assign(db, EDGE_LON, Y + 0.005)["precinct"].code == "10"
    assert assign(db, EDGE_LON - 1e-9, Y + 0.005)["precinct"].code == "9"
    # A corner of only "9" is in "9": edges count as inside.
    assert assign(db, X, Y)["precinct"].code == "9"


def test_point_in_no_district_gets_no_entry(db: Connection) -> None:
    load(db, "precinct", fixture_features("gap.geojson"))
    assert assign(db, X + 0.015, Y + 0.015) == {}  # in the gap
    assert assign(db, 0.0, 0.0) == {}


@pytest.mark.parametrize(
    ("lon", "lat"), [(181.0, 0.0), (0.0, -90.5), (math.nan, 0.0), (0.0, math.inf)]
)
def test_point_outside_lon_lat_range_is_invalid(db: Connection, lon: float, lat: float) -> None:
    with pytest.raises(InvalidInput, match="not a longitude"):
        assign(db, lon, lat)


def _grid(db: Connection) -> list[tuple[int, float, float]]:
    """Points on a 0.0025° grid over the fixtures, many of them on edges and corners."""
    points: list[tuple[int, float, float]] = []
    for i in range(13):
        for j in range(9):
            points.append((len(points), round(X - 0.0025 + i * 0.0025, 6),
                           round(Y - 0.0025 + j * 0.0025, 6)))
    db.execute("CREATE TEMP TABLE grid (id integer, lon float8, lat float8, at timestamptz)")
    with db.cursor().copy("COPY grid (id, lon, lat) FROM STDIN") as copy:
        for row in points:
            copy.write_row(row)
    return points


def test_assign_table_agrees_with_assign_for_every_point(db: Connection) -> None:
    _versions(db)
    load(db, "precinct", fixture_features("shared_edge.geojson"))
    points = _grid(db)
    written = assign_table(db, "grid", into="grid_districts")
    rows = db.execute(
        "SELECT point_id, layer, code, version, feature_id, version_id FROM grid_districts"
    ).fetchall()
    assert written == len(rows) > 0
    table = {(p, layer): (code, version, f, v) for p, layer, code, version, f, v in rows}
    single = {
        (p, layer): (a.code, a.version, a.feature_id, a.version_id)
        for p, lon, lat in points
        for layer, a in assign(db, lon, lat).items()
    }
    assert table == single


def test_assign_table_uses_each_points_time(db: Connection) -> None:
    _versions(db)
    db.execute("CREATE TEMP TABLE cases (id bigint, lon float8, lat float8, at timestamptz)")
    south_east = (X + 0.015, Y + 0.005)
    db.execute(
        "INSERT INTO cases VALUES (1, %s, %s, %s), (2, %s, %s, %s), (3, %s, %s, NULL), "
        "(4, %s, %s, %s)",
        (*south_east, datetime(2019, 1, 1, tzinfo=UTC), *south_east,
         datetime(2024, 1, 1, tzinfo=UTC), *south_east, *south_east,
         datetime(2001, 1, 1, tzinfo=UTC)),
    )
    assign_table(db, "cases", into="case_wards", at=datetime(2016, 1, 1, tzinfo=UTC))
    rows = db.execute("SELECT point_id, code, version FROM case_wards ORDER BY 1").fetchall()
    # Case 3 has no time and takes ``at``; case 4 predates every version.
    assert rows == [(1, "2", "2015-05-18"), (2, "1", "2023-01-01"), (3, "2", "2015-05-18")]


def test_assign_table_from_geometries_for_some_layers(db: Connection) -> None:
    _versions(db)
    load(db, "precinct", fixture_features("shared_edge.geojson"))
    db.execute("CREATE TEMP TABLE pts (pid text, geom geometry(Point, 4326))")
    db.execute(
        "INSERT INTO pts VALUES ('a', ST_SetSRID(ST_MakePoint(%s, %s), 4326)), ('b', NULL), "
        "('c', 'SRID=4326;POINT EMPTY')",
        (X + 0.015, Y + 0.005),
    )
    db.execute("CREATE TABLE public.pts_out (point_id text, layer text, layer_id integer, "
               "version text, version_id integer, feature_id bigint, code text)")
    assign_table(db, "pts", into="public.pts_out", id_column="pid", geom_column="geom",
                 at_column=None, layers=["precinct"])
    rows = db.execute("SELECT point_id, layer, code FROM public.pts_out").fetchall()
    assert rows == [("a", "precinct", "10")]


def test_assign_table_skips_points_without_usable_coordinates(db: Connection) -> None:
    load(db, "precinct", fixture_features("shared_edge.geojson"))
    db.execute("CREATE TEMP TABLE raw (id integer, lon float8, lat float8)")
    db.execute(
        "INSERT INTO raw VALUES (1, %s, %s), (2, NULL, 42.0), (3, 'NaN', 42.0), (4, 200, 42)",
        (X + 0.005, Y + 0.005),
    )
    assign_table(db, "raw", into="raw_out", at_column=None)
    assert db.execute("SELECT point_id, code FROM raw_out").fetchall() == [(1, "9")]
    leftover = db.execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'boundaries' "
        "AND tablename LIKE 'assign_work_%%'"
    ).fetchone()
    assert leftover == (0,)


def test_assign_table_refuses_a_malformed_table_name(db: Connection) -> None:
    with pytest.raises(InvalidInput, match="not a table name"):
        assign_table(db, "a.b.c", into="out")


# -- real data: Boston's 2019 animal and pest cases ---------------------------------------------

BOSTON = "boston/"


def _normalise_ward(value: object) -> str | None:
    """The city writes "Ward 8", "8" and "08"; blanks mean no label."""
    if not isinstance(value, str):
        return None
    text = value.strip().removeprefix("Ward").strip()
    return str(int(text)) if text.isdigit() else None


def test_boston_cases_get_the_city_ward_and_the_sjoin_ward(
    db: Connection, request: pytest.FixtureRequest
) -> None:
    wards = shared_data(request.config, BOSTON + "wards_2012_2022.geojson")
    precincts = shared_data(request.config, BOSTON + "precincts_2012_2022.geojson")
    neighborhoods = shared_data(request.config, BOSTON + "neighborhoods_bpda.geojson")
    cases_csv = shared_data(request.config, BOSTON + "bos311_animal_pest_2019.csv")
    state_plane = parse_crs("EPSG:2249")
    import_boundary_file(db, wards, BoundaryFileOptions(layer="ward", code_field="WARD"))
    import_boundary_file(db, precincts, BoundaryFileOptions(
        layer="precinct", code_field="WARD_PRECINCT", crs=state_plane))
    import_boundary_file(db, neighborhoods, BoundaryFileOptions(
        layer="neighborhood", code_field="Neighborhood_ID", name_field="Name", crs=state_plane))

    cases = pd.read_csv(cases_csv, usecols=["case_enquiry_id", "open_dt", "ward", "latitude",
                                            "longitude"])
    assert len(cases) == 8928
    db.execute("CREATE TEMP TABLE bos (id bigint, lon float8, lat float8, at timestamptz)")
    with db.cursor().copy("COPY bos (id, lon, lat, at) FROM STDIN") as copy:
        for row in cases.itertuples():
            copy.write_row((
                row.case_enquiry_id,
                None if pd.isna(row.longitude) else row.longitude,
                None if pd.isna(row.latitude) else row.latitude,
                f"{row.open_dt} America/New_York",
            ))
    assign_table(db, "bos", into="bos_districts")
    assigned: dict[int, str] = dict(db.execute(
        "SELECT point_id, code FROM bos_districts WHERE layer = 'ward'").fetchall())
    layers: dict[str, int] = dict(
        db.execute("SELECT layer, count(*) FROM bos_districts GROUP BY 1").fetchall()
    )
    assert set(layers) == {"ward", "precinct", "neighborhood"}

    located = cases.dropna(subset=["latitude", "longitude"]).set_index("case_enquiry_id")
    points = gpd.GeoDataFrame(
        located, geometry=gpd.points_from_xy(located.longitude, located.latitude), crs=4326
    )
    # Distance to the nearest ward edge in metres (Massachusetts State Plane, metres).
    ward_frame = gpd.read_file(wards)
    edges = shapely.union_all(ward_frame.to_crs(26986).boundary.values)
    far = points.to_crs(26986).distance(edges) > 50
    joined = gpd.sjoin(points, ward_frame[["WARD", "geometry"]], how="left",
                       predicate="intersects")
    assert not joined.index.duplicated().any()
    sjoin_ward = joined["WARD"].map(lambda w: None if pd.isna(w) else str(int(w)))
    ours = pd.Series({i: assigned.get(i) for i in points.index})

    far_ids = points.index[far]
    assert len(far_ids) > 7800
    assert (ours[far_ids].fillna("-") == sjoin_ward[far_ids].fillna("-")).all()

    city = located["ward"].map(_normalise_ward)
    labelled = far_ids[city[far_ids].notna()]
    assert len(labelled) == 7863
    agree = (ours[labelled] == city[labelled]).mean()
    assert agree >= 0.997, f"{agree:.4%} of {len(labelled)} far-from-edge cases agree"

    # Precinct codes are ward (2 digits) + precinct: the layers agree with each other too.
    mismatched = db.execute(
        "SELECT count(*) FROM bos_districts w JOIN bos_districts p USING (point_id) "
        "WHERE w.layer = 'ward' AND p.layer = 'precinct' "
        "AND w.code::int <> left(p.code, 2)::int"
    ).fetchone()
    assert mismatched is not None and mismatched[0] < 0.01 * len(assigned)
