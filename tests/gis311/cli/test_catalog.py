"""``gis311 catalog load``: idempotent, prints what changed, one-line errors."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import psycopg
import pytest
from click.testing import CliRunner

from gis311.cli import main
from tests.conftest import REPO


class Borrowed:
    """Hands the test's connection to a CLI command without letting it commit or close it."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> psycopg.Connection:
        return self.conn

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


@pytest.fixture
def runner(db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr("gis311.cli.catalog.connect", lambda settings: Borrowed(db))
    return CliRunner()


def test_load_twice(runner: CliRunner) -> None:
    first = runner.invoke(main, ["catalog", "load", str(REPO / "catalog.example.yaml")])
    assert first.exit_code == 0, first.output
    assert "asset_type streetlight: created" in first.output
    assert "asset types: 5 created, 0 updated, 0 unchanged" in first.output
    again = runner.invoke(main, ["catalog", "load", str(REPO / "catalog.example.yaml")])
    assert again.exit_code == 0
    assert again.output.splitlines() == [
        "asset types: 0 created, 0 updated, 5 unchanged",
        "services: 0 created, 0 updated, 9 unchanged",
    ]


def test_errors_are_one_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "catalog.yaml"
    bad.write_text("services:\n  - code: pothole\n    name: Pothole\n    sla_hours: soon\n")
    result = runner.invoke(main, ["catalog", "load", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {bad}: services[0].sla_hours: must be a number, got 'soon'"
    ]
