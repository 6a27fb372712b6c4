"""``gis311 keys``: create prints the key alone on stdout once; list never shows it; revoke."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from click.testing import CliRunner, Result

from gis311 import keys
from gis311.cli import main


@pytest.fixture
def run(database_url: str) -> Iterator[CliRunner]:
    yield CliRunner(env={"GIS311_DATABASE_URL": database_url})
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM gis311.api_key")


def _invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, ["keys", *args])


def test_create_list_revoke(run: CliRunner, database_url: str) -> None:
    created = _invoke(run, "create", "--role", "staff", "--department", "Public Works",
                      "--department", "Water", "--name", "ops desk")
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert key.startswith("g311_") and "\n" not in key
    assert "created key" in created.stderr and "cannot be shown again" in created.stderr
    with psycopg.connect(database_url) as conn:
        principal = keys.verify(conn, key)
    assert principal is not None and principal.departments == ("Public Works", "Water")

    listed = _invoke(run, "list")
    assert listed.exit_code == 0, listed.output
    assert key not in listed.output and key[:keys.PREFIX_LENGTH] in listed.output
    assert "ops desk" in listed.output and "Public Works, Water" in listed.output

    revoked = _invoke(run, "revoke", str(principal.key_id))
    assert revoked.exit_code == 0 and f"revoked key {principal.key_id}" in revoked.output
    with psycopg.connect(database_url) as conn:
        assert keys.verify(conn, key) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--role", "mayor"], "Error: --role: unknown role 'mayor'; use one of"),
        (["create", "--role", "councilor"],
         "Error: --district: a councilor key needs at least one district"),
        (["create", "--role", "councilor", "--district", "ward3"],
         "Error: --district: 'ward3' must be LAYER:CODE"),
        (["revoke", "424242"], "Error: no API key has id 424242"),
    ],
)
def test_errors_are_one_line(run: CliRunner, args: list[str], message: str) -> None:
    result = _invoke(run, *args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.output


def test_list_without_keys_says_how_to_make_one(run: CliRunner) -> None:
    result = _invoke(run, "list")
    assert result.exit_code == 0 and "gis311 keys create" in result.output
