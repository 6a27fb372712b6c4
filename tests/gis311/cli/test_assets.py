"""``gis311 assets import``: summary, rejects listed, one-line errors, nothing half-done."""

from __future__ import annotations

import importlib
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from gis311.cli import main
from registry import catalog, catalog_file
from tests.conftest import FIXTURES, REPO
from tests.gis311.cli.test_catalog import Borrowed


@pytest.fixture
def runner(db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    catalog.load(db, catalog_file.read(REPO / "catalog.example.yaml"))
    # The module, not the `assets` command group that shadows it as gis311.cli.assets.
    module = importlib.import_module("gis311.cli.assets")
    monkeypatch.setattr(module, "connect", lambda settings: Borrowed(db))
    return CliRunner()


def _count(db: psycopg.Connection) -> int:
    row = db.execute("SELECT count(*) FROM registry.asset").fetchone()
    return int(row[0]) if row else 0


def test_import_and_reimport(runner: CliRunner, db: psycopg.Connection) -> None:
    args = ["assets", "import", str(FIXTURES / "streetlights_sample.geojson"),
            "--type", "streetlight"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.output.startswith(
        "streetlights_sample.geojson -> streetlight: 12 rows; 12 created, 0 updated"
    )
    again = runner.invoke(main, args)
    assert "0 created, 0 updated, 0 restored, 12 unchanged" in again.output
    assert _count(db) == 12


def test_rejects_are_listed_and_nothing_is_written(
    runner: CliRunner, db: psycopg.Connection, tmp_path: Path
) -> None:
    report = tmp_path / "rejects.csv"
    result = runner.invoke(main, [
        "assets", "import", str(FIXTURES / "streetlights_bad_rows.geojson"),
        "--type", "streetlight", "--reject-report", str(report),
    ])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:3] == [
        "  feature 1, field 'PoleID': missing id",
        "  feature 2, field 'geometry': expected a point geometry, got LINESTRING",
        "  feature 3, field 'NumLamps': expected an integer, got \"two\"",
    ]
    assert lines[-1].startswith("Error: ") and "nothing was imported" in lines[-1]
    assert str(report) in lines[-1] and report.exists()
    assert _count(db) == 0


def test_skip_invalid(runner: CliRunner, tmp_path: Path) -> None:
    report = tmp_path / "r.csv"
    result = runner.invoke(main, [
        "assets", "import", str(FIXTURES / "hydrants_bad_cells.csv"), "--type", "hydrant",
        "--skip-invalid", "--reject-report", str(report),
    ])
    assert result.exit_code == 0, result.output
    assert "7 rows; 2 created" in result.output and "5 rejected" in result.output
    assert "  row 3, field 'GlobalID': missing id" in result.output
    assert f"rejected rows listed in {report}" in result.output


def test_csv_options_and_file_errors(runner: CliRunner, tmp_path: Path) -> None:
    ok = runner.invoke(main, [
        "assets", "import", str(FIXTURES / "hydrants_state_plane_semicolon.csv"),
        "--type", "hydrant", "--lat-field", "Y", "--lon-field", "X", "--crs", "EPSG:2249",
    ])
    assert ok.exit_code == 0, ok.output
    assert "5 created" in ok.output
    missing = runner.invoke(main, ["assets", "import", str(tmp_path / "nope.geojson"),
                                   "--type", "streetlight"])
    assert missing.exit_code == 1
    assert missing.output == f"Error: {tmp_path / 'nope.geojson'}: no such file\n"
    unknown = runner.invoke(main, ["assets", "import", str(FIXTURES / "ragged_row.csv"),
                                   "--type", "bench"])
    assert unknown.exit_code == 1 and "unknown asset type 'bench'" in unknown.output
    ragged = runner.invoke(main, ["assets", "import", str(FIXTURES / "ragged_row.csv"),
                                  "--type", "hydrant"])
    assert ragged.exit_code == 1 and "ragged_row.csv, row 3:" in ragged.output
    assert len(ragged.output.strip().splitlines()) == 1
