"""``boundaries.validate``: repairs, refused geometries, overlaps and gaps in m²."""

from __future__ import annotations

import pytest
import shapely
from psycopg import Connection
from pyproj import Geod

from boundaries.errors import InvalidFeature
from tests.boundaries.sources import fixture_features, load, source, square

X, Y = -71.12, 42.37
GEOD = Geod(ellps="WGS84")


def _m2(geometry: shapely.Geometry) -> float:
    area, _ = GEOD.geometry_area_perimeter(geometry)
    return abs(area)


def test_bowtie_is_repaired_and_reported(db: Connection) -> None:
    report = load(db, "ward", fixture_features("bowtie.geojson"))
    [repair] = report.repairs
    assert (repair.index, repair.code, repair.dropped_parts) == (0, "1", 0)
    assert repair.reason.startswith("Self-intersection")
    geometry = db.execute(
        "SELECT ST_AsText(geom), ST_IsValid(geom) FROM boundaries.feature "
        "WHERE version_id = %s AND code = '1'",
        (report.version.id,),
    ).fetchone()
    assert geometry is not None and geometry[1]
    # The two lobes of the bow tie, each a triangle of a quarter of the square.
    bowtie = shapely.from_wkt(geometry[0])
    assert len(bowtie.geoms) == 2
    assert bowtie.area == pytest.approx(0.01 * 0.01 / 2)


def test_spike_is_repaired_dropping_the_line(db: Connection) -> None:
    d = 0.01
    spike = shapely.Polygon(
        [(X, Y), (X + d, Y), (X + d, Y + d), (X + d / 2, Y + d), (X + d / 2, Y + 2 * d),
         (X + d / 2, Y + d), (X, Y + d), (X, Y)]
    )
    assert not spike.is_valid
    report = load(db, "ward", [source(0, "1", spike)])
    [repair] = report.repairs
    assert repair.dropped_parts == 1
    area = db.execute(
        "SELECT ST_Area(geom) FROM boundaries.feature WHERE version_id = %s",
        (report.version.id,),
    ).fetchone()
    assert area is not None and area[0] == pytest.approx(d * d)


def test_line_is_refused_naming_the_feature(db: Connection) -> None:
    with pytest.raises(InvalidFeature) as caught:
        load(db, "ward", fixture_features("not_polygon.geojson"))
    assert (caught.value.index, caught.value.field) == (1, "geometry")
    assert "LineString, not a Polygon or MultiPolygon" in caught.value.reason


def test_polygon_without_area_is_refused(db: Connection) -> None:
    with pytest.raises(InvalidFeature) as caught:
        load(db, "ward", fixture_features("collapsed_polygon.geojson"))
    assert (caught.value.index, caught.value.field) == (1, "geometry")
    assert "cannot repair" in caught.value.reason


def test_missing_geometry_is_refused(db: Connection) -> None:
    with pytest.raises(InvalidFeature, match="feature 1, field 'geometry': the feature has no"):
        load(db, "ward", [source(0, "1", square(X, Y)), source(1, "2", None)])


def test_overlap_is_reported_in_square_metres(db: Connection) -> None:
    report = load(db, "ward", fixture_features("overlap.geojson"))
    [overlap] = report.overlaps
    assert (overlap.code_a, overlap.code_b) == ("L", "R")
    strip = shapely.box(X + 0.01, Y, X + 0.012, Y + 0.01)
    assert overlap.area_m2 == pytest.approx(_m2(strip), rel=1e-3)
    assert 170_000 < overlap.area_m2 < 200_000  # 0.002° of lon (~165 m) by 0.01° of lat (~1.1 km)
    assert report.gaps == []


def test_gap_inside_the_layer_is_reported_with_a_point_in_it(db: Connection) -> None:
    report = load(db, "ward", fixture_features("gap.geojson"))
    [gap] = report.gaps
    hole = shapely.box(X + 0.01, Y + 0.01, X + 0.02, Y + 0.02)
    assert gap.area_m2 == pytest.approx(_m2(hole), rel=1e-3)
    assert hole.contains(shapely.Point(gap.lon, gap.lat))
    assert report.overlaps == []


def test_districts_sharing_only_edges_neither_overlap_nor_gap(db: Connection) -> None:
    report = load(db, "ward", fixture_features("shared_edge.geojson"))
    assert (report.overlaps, report.gaps, report.repairs) == ([], [], [])
