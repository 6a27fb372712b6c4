"""``importers.boundary_file``: real boundary files and the edge cases of reading them."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from psycopg import Connection

from boundaries.errors import Conflict
from boundaries.models import ImportReport
from importers.boundary_file import BoundaryFileOptions, file_sha256, import_boundary_file
from importers.errors import ImportFileError
from importers.geofile import parse_crs
from tests.conftest import FIXTURES, shared_data

STATE_PLANE = parse_crs("EPSG:2249")


def _import(
    db: Connection, path: Path, layer: str = "ward", code_field: str = "code", **extra: Any
) -> ImportReport:
    options = BoundaryFileOptions(layer=layer, code_field=code_field, **extra)
    return import_boundary_file(db, path, options)


def test_undeclared_projected_crs_is_refused_with_a_hint(db: Connection) -> None:
    path = FIXTURES / "undeclared_crs.geojson"
    with pytest.raises(ImportFileError, match=r"cannot be longitude/latitude.*--crs EPSG:NNNN"):
        _import(db, path)
    assert db.execute("SELECT count(*) FROM boundaries.layer").fetchone() == (0,)


def test_undeclared_crs_imports_with_crs_given(db: Connection) -> None:
    report = _import(db, FIXTURES / "undeclared_crs.geojson", crs=STATE_PLANE,
                     name_field="name")
    assert report.version.feature_count == 2
    lon, lat = db.execute(
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) c "
        "FROM boundaries.feature) s"
    ).fetchone() or (0, 0)
    assert -71.2 < lon < -71.0 and 42.2 < lat < 42.4  # Boston, not the Gulf of Guinea


def test_unknown_code_field_lists_the_fields(db: Connection) -> None:
    with pytest.raises(ImportFileError) as caught:
        _import(db, FIXTURES / "gap.geojson", code_field="WARD")
    message = str(caught.value)
    assert "gap.geojson" in message
    assert "--code-field 'WARD' is not a field of this file; its fields are: code, name" in message


def test_unknown_name_field_is_refused_too(db: Connection) -> None:
    with pytest.raises(ImportFileError, match="--name-field 'NAME' is not a field"):
        _import(db, FIXTURES / "gap.geojson", name_field="NAME")


def test_feature_without_code_names_file_feature_and_field(db: Connection) -> None:
    with pytest.raises(ImportFileError) as caught:
        _import(db, FIXTURES / "missing_code.geojson")
    assert str(caught.value) == (
        f"{FIXTURES / 'missing_code.geojson'}, feature 2, field 'code': no code (the value is "
        "empty)"
    )


def test_non_polygon_names_file_feature_and_field(db: Connection) -> None:
    with pytest.raises(ImportFileError) as caught:
        _import(db, FIXTURES / "not_polygon.geojson")
    assert str(caught.value).startswith(
        f"{FIXTURES / 'not_polygon.geojson'}, feature 1, field 'geometry': the geometry is a "
        "LineString"
    )


def test_identical_file_again_changes_nothing(db: Connection, tmp_path: Path) -> None:
    first = _import(db, FIXTURES / "gap.geojson")
    copy = tmp_path / "renamed.geojson"
    shutil.copy(FIXTURES / "gap.geojson", copy)
    again = _import(db, copy)
    assert again.unchanged and again.version == first.version
    assert db.execute("SELECT count(*) FROM boundaries.feature").fetchone() == (4,)


def test_labels_default_to_the_start_date_else_the_file_name(db: Connection) -> None:
    start = datetime(2015, 5, 18, tzinfo=UTC)
    old = _import(db, FIXTURES / "two_versions_2015.geojson", code_field="ward",
                  valid_from=start)
    assert old.version.label == "2015-05-18"
    other = _import(db, FIXTURES / "gap.geojson", layer="precinct")
    assert other.version.label == "gap"


def test_second_version_without_start_is_a_conflict(db: Connection) -> None:
    _import(db, FIXTURES / "two_versions_2015.geojson", code_field="ward")
    with pytest.raises(Conflict):
        _import(db, FIXTURES / "two_versions_2023.geojson", code_field="ward")


def test_progress_reaches_the_feature_count(db: Connection) -> None:
    seen: list[tuple[int, int]] = []
    options = BoundaryFileOptions(layer="ward", code_field="code")
    import_boundary_file(db, FIXTURES / "gap.geojson", options, lambda d, t: seen.append((d, t)))
    assert seen[-1] == (4, 4)


def test_third_dimension_is_dropped(db: Connection, tmp_path: Path) -> None:
    path = tmp_path / "three_d.geojson"
    ring = [[-71.1, 42.3, 5.0], [-71.09, 42.3, 5.0], [-71.09, 42.31, 6.0], [-71.1, 42.3, 5.0]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "1"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    _import(db, path)
    assert db.execute("SELECT ST_NDims(geom) FROM boundaries.feature").fetchone() == (2,)


# -- other formats, written from the Cambridge police sectors -----------------------------------


@pytest.fixture
def sectors(request: pytest.FixtureRequest) -> gpd.GeoDataFrame:
    path = shared_data(request.config, "cambridge/PUBLICSAFETY_PoliceSectors.geojson")
    # Only short field names: a shapefile keeps ten characters of each.
    return gpd.read_file(path)[["SECTOR", "geometry"]]


def test_zipped_shapefile_imports(
    db: Connection, tmp_path: Path, sectors: gpd.GeoDataFrame
) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    sectors.to_crs(STATE_PLANE).to_file(folder / "sectors.shp")
    archive = tmp_path / "sectors.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in folder.iterdir():
            zipped.write(part, part.name)
    report = _import(db, archive, layer="police_sector", code_field="SECTOR")
    assert report.version.feature_count == 5
    assert report.layer.kind == "other"
    # The .prj said State Plane; the districts are back in degrees.
    bounds = db.execute("SELECT ST_Extent(geom)::text FROM boundaries.feature").fetchone()
    assert bounds is not None and bounds[0].startswith("BOX(-71.1")


def test_shapefile_hash_covers_its_sidecar_files(
    tmp_path: Path, sectors: gpd.GeoDataFrame
) -> None:
    sectors.to_file(tmp_path / "sectors.shp")
    before = file_sha256(tmp_path / "sectors.shp")
    sectors.assign(SECTOR=sectors.SECTOR + 10).to_file(tmp_path / "sectors.shp")
    assert file_sha256(tmp_path / "sectors.shp") != before


def test_geopackage_needs_and_takes_a_sublayer(
    db: Connection, tmp_path: Path, sectors: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "public_safety.gpkg"
    sectors.to_file(path, layer="sectors")
    sectors.head(2).to_file(path, layer="two_sectors")
    with pytest.raises(ImportFileError, match="holds 2 layers; pick one with --sublayer"):
        _import(db, path, layer="police_sector", code_field="SECTOR")
    report = _import(db, path, layer="police_sector", code_field="SECTOR", sublayer="two_sectors")
    assert report.version.feature_count == 2


# -- real boundary files -------------------------------------------------------------------------


def test_boston_precincts_need_their_crs(db: Connection, request: pytest.FixtureRequest) -> None:
    path = shared_data(request.config, "boston/precincts_2012_2022.geojson")
    with pytest.raises(ImportFileError, match="EPSG:2249"):
        _import(db, path, layer="precinct", code_field="WARD_PRECINCT")
    report = _import(db, path, layer="precinct", code_field="WARD_PRECINCT", crs=STATE_PLANE)
    assert report.version.feature_count == 255
    assert [(r.index, r.code) for r in report.repairs] == [(207, "1713"), (229, "0511")]
    # Digitising slivers between neighbouring precincts, reported largest first (the largest,
    # 0113/0114, is under 1,000 m²: about 30 m by 30 m).
    assert report.overlaps[0].area_m2 == max(o.area_m2 for o in report.overlaps) < 1000


def test_boston_wards_repairs_are_reported(
    db: Connection, request: pytest.FixtureRequest
) -> None:
    path = shared_data(request.config, "boston/wards_2012_2022.geojson")
    report = _import(db, path, code_field="WARD")
    assert report.version.feature_count == 22
    assert [(r.index, r.code) for r in report.repairs] == [(4, "5"), (18, "16"), (19, "17")]
    assert all("Self-intersection" in r.reason for r in report.repairs)


def test_cambridge_precincts_import_and_merge_into_wards(
    db: Connection, request: pytest.FixtureRequest
) -> None:
    path = shared_data(request.config, "cambridge/ELECTIONS_WardsPrecincts.geojson")
    precincts = _import(db, path, layer="precinct", code_field="WardPrecinct")
    assert precincts.version.feature_count == 33
    wards = _import(db, path, layer="ward", code_field="Ward")
    assert wards.version.feature_count == 11
    assert sum(len(m.indexes) for m in wards.merges) == 33
    # The precinct's fields travel along; dates as ISO text.
    properties = db.execute(
        "SELECT properties FROM boundaries.feature f JOIN boundaries.version v "
        "ON v.id = f.version_id WHERE v.id = %s AND f.code = '1-1'",
        (precincts.version.id,),
    ).fetchone()
    assert properties is not None
    assert properties[0]["Ward"] == "1" and properties[0]["created_date"].startswith("2022-04-25")


def test_cambridge_police_sectors_import(db: Connection, request: pytest.FixtureRequest) -> None:
    path = shared_data(request.config, "cambridge/PUBLICSAFETY_PoliceSectors.geojson")
    report = _import(db, path, layer="police_sector", code_field="SECTOR", kind="police_beat")
    assert (report.version.feature_count, report.layer.kind) == (5, "police_beat")
    codes = db.execute("SELECT code FROM boundaries.feature ORDER BY code").fetchall()
    assert codes == [("1",), ("2",), ("3",), ("4",), ("5",)]
