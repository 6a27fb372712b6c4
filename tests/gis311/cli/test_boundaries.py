"""``gis311 boundaries``: import files as versions, report what happened, list layers.

These commands commit, so they run against the run's database directly and remove the layers
they made afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from click.testing import CliRunner, Result

from gis311.cli import main
from tests.conftest import FIXTURES, shared_data


@pytest.fixture
def run(database_url: str) -> Iterator[CliRunner]:
    runner = CliRunner(env={"GIS311_DATABASE_URL": database_url})
    yield runner
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM boundaries.layer WHERE code LIKE 'cli\\_%%'")


def _invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["boundaries", *args])


def test_import_reports_and_a_second_import_changes_nothing(run: CliRunner) -> None:
    args = ["import", str(FIXTURES / "gap.geojson"), "--layer", "cli_ward", "--code-field",
            "code", "--name-field", "name", "--kind", "ward"]
    first = _invoke(run, *args)
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0] == "gap: 914,744.2 m² in no district, around lon -71.105000 lat 42.385000"
    assert lines[-1] == (
        "imported layer cli_ward version 'gap' [always, open): 4 districts from 4 features "
        "(new layer, kind ward, name 'Cli ward')"
    )
    again = _invoke(run, *args)
    assert again.exit_code == 0, again.output
    assert again.output.startswith(
        "unchanged: layer cli_ward already holds this file as version 'gap'"
    )
    assert again.output.rstrip().endswith("nothing to do")


def test_new_version_closes_the_open_one_and_list_shows_both(run: CliRunner) -> None:
    base = ["--layer", "cli_ward", "--code-field", "ward"]
    first = _invoke(run, "import", str(FIXTURES / "two_versions_2015.geojson"), *base,
                    "--valid-from", "2015-05-18")
    assert first.exit_code == 0, first.output
    second = _invoke(run, "import", str(FIXTURES / "two_versions_2023.geojson"), *base,
                     "--valid-from", "2023-01-01", "--tz", "America/New_York",
                     "--label", "2023 map", "--office-name-field", "office")
    assert second.exit_code == 0, second.output
    assert (
        "closed version '2015-05-18' of layer cli_ward: now "
        "[2015-05-18 00:00:00+00:00, 2023-01-01 05:00:00+00:00)"
    ) in second.output
    listing = _invoke(run, "list")
    assert listing.exit_code == 0, listing.output
    assert "cli_ward (other): Cli ward" in listing.output
    assert "  2015-05-18  [2015-05-18 00:00:00+00:00, 2023-01-01 05:00:00+00:00)  2 districts" \
        in listing.output
    assert "  2023 map  [2023-01-01 05:00:00+00:00, open)  2 districts" in listing.output


def test_repairs_and_overlaps_are_reported(run: CliRunner) -> None:
    bowtie = _invoke(run, "import", str(FIXTURES / "bowtie.geojson"), "--layer", "cli_a",
                     "--code-field", "code")
    assert "repaired feature 0 (code 1) with ST_MakeValid: Self-intersection" in bowtie.output
    overlap = _invoke(run, "import", str(FIXTURES / "overlap.geojson"), "--layer", "cli_b",
                      "--code-field", "code")
    assert "overlap: districts L and R share 18" in overlap.output


@pytest.mark.parametrize(
    ("fixture", "extra", "message"),
    [
        ("undeclared_crs.geojson", [], "cannot be longitude/latitude"),
        ("gap.geojson", ["--code-field", "WARD"],
         "--code-field 'WARD' is not a field of this file; its fields are: code, name"),
        ("missing_code.geojson", [], "missing_code.geojson, feature 2, field 'code': no code"),
        ("not_polygon.geojson", [], "not_polygon.geojson, feature 1, field 'geometry'"),
        ("nowhere.geojson", [], "nowhere.geojson: no such file"),
    ],
)
def test_errors_are_one_line_naming_file_feature_and_field(
    run: CliRunner, fixture: str, extra: list[str], message: str
) -> None:
    args = ["import", str(FIXTURES / fixture), "--layer", "cli_ward"]
    result = _invoke(run, *args, *(extra or ["--code-field", "code"]))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr


def test_version_conflict_is_one_line(run: CliRunner) -> None:
    base = ["--layer", "cli_ward", "--code-field", "ward"]
    _invoke(run, "import", str(FIXTURES / "two_versions_2015.geojson"), *base)
    result = _invoke(run, "import", str(FIXTURES / "two_versions_2023.geojson"), *base)
    assert result.exit_code == 1
    assert "overlaps version 'two_versions_2015'" in result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--valid-from", "last tuesday"], "is not an ISO 8601 date"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
        (["--crs", "EPSG:999999"], "unknown CRS"),
        (["--kind", "county"], "'county' is not one of"),
    ],
)
def test_bad_options_are_usage_errors(run: CliRunner, extra: list[str], message: str) -> None:
    result = _invoke(run, "import", str(FIXTURES / "gap.geojson"), "--layer", "cli_ward",
                     "--code-field", "code", *extra)
    assert result.exit_code == 2
    assert message in result.stderr


def test_boston_precincts_import_with_crs(run: CliRunner, request: pytest.FixtureRequest) -> None:
    path = shared_data(request.config, "boston/precincts_2012_2022.geojson")
    refused = _invoke(run, "import", str(path), "--layer", "cli_precinct",
                      "--code-field", "WARD_PRECINCT")
    assert refused.exit_code == 1 and "--crs EPSG:NNNN" in refused.stderr
    result = _invoke(run, "import", str(path), "--layer", "cli_precinct",
                     "--code-field", "WARD_PRECINCT", "--crs", "EPSG:2249", "--kind", "precinct")
    assert result.exit_code == 0, result.output
    assert "repaired feature 207 (code 1713)" in result.output
    assert result.output.splitlines()[-1].endswith(
        "255 districts from 255 features (new layer, kind precinct, name 'Cli precinct')"
    )
