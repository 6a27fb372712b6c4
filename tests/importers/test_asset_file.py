"""Asset import from small fixture files: CSV, rejects, formats, options."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest

from importers.asset_file import import_assets
from importers.errors import ImportFileError, ImportRejected
from registry import assets, catalog, catalog_file
from tests.conftest import FIXTURES, REPO


@pytest.fixture
def conn(db: psycopg.Connection) -> psycopg.Connection:
    catalog.load(db, catalog_file.read(REPO / "catalog.example.yaml"))
    return db


def _count(conn: psycopg.Connection, type_code: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM registry.asset WHERE type_code = %s", (type_code,)
    ).fetchone()
    return int(row[0]) if row else 0


def _history_count(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM registry.asset_history").fetchone()
    return int(row[0]) if row else 0


def _report(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_bad_rows_abort_with_a_report_and_nothing_written(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    report = tmp_path / "rejects.csv"
    with pytest.raises(ImportRejected) as err:
        import_assets(conn, FIXTURES / "streetlights_bad_rows.geojson", type_code="streetlight",
                      reject_report=report)
    assert err.value.rejected == 3
    assert "feature 1, field 'PoleID': missing id (and 2 more rejected rows)" in str(err.value)
    assert "nothing was imported" in str(err.value)
    rows = _report(report)
    assert [(r["row"], r["field"]) for r in rows] == [
        ("1", "PoleID"), ("2", "geometry"), ("3", "NumLamps")
    ]
    assert rows[0]["reason"] == "missing id"
    assert rows[1]["reason"] == "expected a point geometry, got LINESTRING"
    assert rows[2]["reason"] == 'expected an integer, got "two"'
    assert rows[2]["asset_id"] == "471-236"
    assert _count(conn, "streetlight") == 0 and _history_count(conn) == 0


def test_skip_invalid_imports_the_rest(conn: psycopg.Connection, tmp_path: Path) -> None:
    report = tmp_path / "rejects.csv"
    result = import_assets(conn, FIXTURES / "streetlights_bad_rows.geojson",
                           type_code="streetlight", skip_invalid=True, reject_report=report)
    assert (result.rows, result.created, result.rejected) == (5, 2, 3)
    assert result.reject_report == report and len(_report(report)) == 3
    assert {a.asset_id for a in _all(conn, "streetlight")} == {"471-244", "541-8"}


def test_skip_invalid_writes_the_report_in_the_current_folder_by_default(
    conn: psycopg.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = import_assets(conn, FIXTURES / "streetlights_bad_rows.geojson",
                           type_code="streetlight", skip_invalid=True)
    assert result.reject_report == tmp_path / "streetlights_bad_rows.rejects.csv"
    assert result.reject_report.exists()


def _all(conn: psycopg.Connection, type_code: str) -> list:
    rows = conn.execute(
        "SELECT asset_id FROM registry.asset WHERE type_code = %s ORDER BY asset_id", (type_code,)
    ).fetchall()
    return [assets.get(conn, r[0]) for r in rows]


def test_csv_with_lat_lon(conn: psycopg.Connection) -> None:
    result = import_assets(conn, FIXTURES / "hydrants_latlon.csv", type_code="hydrant")
    assert (result.rows, result.created) == (10, 10)
    first = assets.get(conn, "{5C66D414-58AA-4470-8998-C91656457D80}")
    assert first.geometry["coordinates"] == pytest.approx([-71.11682607, 42.37074368])
    assert first.attributes["flow_gpm"] == 1475 and first.attributes["lifecycle"] == "ACT"
    assert first.external_ids == {"HYDRANT_ID": "PH6000"}
    assert "SUBTYPE" in result.missing_fields
    again = import_assets(conn, FIXTURES / "hydrants_latlon.csv", type_code="hydrant")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)


def test_csv_bad_cells(conn: psycopg.Connection, tmp_path: Path) -> None:
    report = tmp_path / "r.csv"
    with pytest.raises(ImportRejected):
        import_assets(conn, FIXTURES / "hydrants_bad_cells.csv", type_code="hydrant",
                      reject_report=report)
    found = {(int(r["row"]), r["field"]): r["reason"] for r in _report(report)}
    assert found[(3, "GlobalID")] == "missing id"
    assert found[(4, "Latitude")] == "latitude is not a number: forty-two"
    assert found[(5, "Longitude/Latitude")].startswith("coordinates out of range")
    assert "swapped" in found[(5, "Longitude/Latitude")]
    assert found[(6, "HYDRANT_GPM")] == 'expected a number, got "lots"'
    assert found[(7, "LIFECYCLESTATUS")].startswith("expected one of ACT, MITFL, ABN")
    assert len(found) == 5
    assert _count(conn, "hydrant") == 0


def test_csv_in_state_plane_with_semicolons(conn: psycopg.Connection) -> None:
    result = import_assets(
        conn, FIXTURES / "hydrants_state_plane_semicolon.csv", type_code="hydrant",
        lat_field="Y", lon_field="X", crs="EPSG:2249",
    )
    assert result.created == 5
    hydrant = assets.get(conn, "{5C66D414-58AA-4470-8998-C91656457D80}")
    assert hydrant.geometry["coordinates"] == pytest.approx([-71.11682607, 42.37074368], abs=1e-7)


def test_csv_with_a_ragged_row_names_the_row(conn: psycopg.Connection) -> None:
    with pytest.raises(ImportFileError, match=r"ragged_row\.csv, row 3: has the wrong number"):
        import_assets(conn, FIXTURES / "ragged_row.csv", type_code="hydrant")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type_code": "bench"}, "unknown asset type 'bench'"),
        ({"id_field": "PoleNo"}, "--id-field 'PoleNo' is not a field"),
        ({"lat_field": "Y"}, "for CSV files only"),
        ({"crs": "EPSG:999999"}, "unknown CRS"),
    ],
)
def test_option_errors(conn: psycopg.Connection, kwargs: dict, message: str) -> None:
    args = {"type_code": "streetlight", **kwargs}
    with pytest.raises(ImportFileError, match=message):
        import_assets(conn, FIXTURES / "streetlights_sample.geojson", **args)


def test_the_types_id_field_must_be_in_the_file(conn: psycopg.Connection) -> None:
    with pytest.raises(ImportFileError, match="the streetlight type's id_field 'PoleID' is not"):
        import_assets(conn, FIXTURES / "hydrants_latlon.csv", type_code="streetlight")


def test_csv_needs_coordinates_and_points(conn: psycopg.Connection, tmp_path: Path) -> None:
    no_coords = tmp_path / "no_coords.csv"
    no_coords.write_text("GlobalID,Where\nA,here\n")
    with pytest.raises(ImportFileError, match="pass --lat-field and --lon-field"):
        import_assets(conn, no_coords, type_code="hydrant")
    with pytest.raises(ImportFileError, match="road_segment assets are lines"):
        import_assets(conn, FIXTURES / "hydrants_latlon.csv", type_code="road_segment")


def test_same_assets_from_geojson_and_geopackage(conn: psycopg.Connection, tmp_path: Path) -> None:
    source = FIXTURES / "streetlights_sample.geojson"
    first = import_assets(conn, source, type_code="streetlight")
    assert first.created == 12
    gpkg = tmp_path / "streetlights.gpkg"
    gpd.read_file(source).to_file(gpkg, driver="GPKG")
    again = import_assets(conn, gpkg, type_code="streetlight")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 12)


def test_zipped_shapefile(conn: psycopg.Connection, tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    frame = gpd.read_file(FIXTURES / "streetlights_sample.geojson")
    # Shapefile names stop at 10 characters; keep the fields that fit (GDAL warns otherwise).
    short = [c for c in frame.columns if len(c) <= 10 and c != "EditDate"]
    frame[short].to_file(folder / "lights.shp")
    archive = tmp_path / "lights.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    result = import_assets(conn, archive, type_code="streetlight")
    assert result.created == 12
    assert assets.get(conn, "791-2").attributes["lamps"] == 1
    # The importer says which of the type's fields the file lacks.
    assert "last_edited_date" in result.missing_fields


def test_files_without_ids_get_location_ids(conn: psycopg.Connection, tmp_path: Path) -> None:
    features = json.loads((FIXTURES / "streetlights_sample.geojson").read_text())["features"]
    twin = json.loads(json.dumps(features[0]))  # two poles at one spot
    twin["id"] = 1000
    poles = {"type": "FeatureCollection", "features": [*features[:3], twin]}
    path = tmp_path / "poles.geojson"
    path.write_text(json.dumps(poles))
    result = import_assets(conn, path, type_code="utility_pole")
    assert result.created == 4
    ids = [a.asset_id for a in _all(conn, "utility_pole")]
    assert all(i.startswith("utility_pole-") for i in ids)
    assert sum(i.endswith("-2") for i in ids) == 1
    again = import_assets(conn, path, type_code="utility_pole")
    assert (again.created, again.unchanged) == (0, 4)


def test_an_id_of_another_type_is_rejected(conn: psycopg.Connection) -> None:
    assets.create(conn, type_code="hydrant", asset_id="791-2",
                  geometry={"type": "Point", "coordinates": [-71.1, 42.37]}, actor="t")
    with pytest.raises(ImportRejected, match="id 791-2 belongs to an asset of type hydrant"):
        import_assets(conn, FIXTURES / "streetlights_sample.geojson", type_code="streetlight")


def test_progress_is_reported(conn: psycopg.Connection) -> None:
    seen: list[tuple[str, int, int | None]] = []
    import_assets(conn, FIXTURES / "hydrants_latlon.csv", type_code="hydrant",
                  progress=lambda phase, done, total: seen.append((phase, done, total)))
    phases = [p for p, _, _ in seen]
    assert phases[0] == "reading" and "checking" in phases and phases[-1] == "applying"
    size = (FIXTURES / "hydrants_latlon.csv").stat().st_size
    reading = [(d, t) for p, d, t in seen if p == "reading"]
    assert reading[-1][0] == reading[-1][1] and reading[-1][1] < size
