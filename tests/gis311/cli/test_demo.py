"""``gis311 demo load`` on a fresh database: the city, cases through the real intake with
repeat reports, the keys (printed and saved 0600), and a second run that changes nothing."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from gis311 import keys, migrate
from gis311.cli import main
from gis311.demo import access, load

CASES = 200


@pytest.fixture(scope="module")
def fresh_database(server_url: str) -> Iterator[str]:
    """A database of its own: the demo loads only into an empty one and commits a whole city."""
    with migrate.fresh_database(server_url, f"gis311_demo_test_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="module")
def loaded(fresh_database: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    home = tmp_path_factory.mktemp("demo-home")
    runner = CliRunner(env={"GIS311_DATABASE_URL": fresh_database, "GIS311_HOME": str(home)})
    first = runner.invoke(main, ["demo", "load", "--cases", str(CASES)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, ["demo", "load", "--cases", str(CASES)])
    return {"url": fresh_database, "home": home, "first": first.output,
            "second": second, "runner": runner}


def _rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(query).fetchall()]


def _one(url: str, query: str) -> tuple:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return tuple(row)


def test_the_city_is_loaded_through_the_importers(loaded: dict) -> None:
    url = loaded["url"]
    layers = dict(_rows(url, "SELECT l.code, v.feature_count FROM boundaries.layer l "
                             "JOIN boundaries.version v ON v.layer_id = l.id"))
    assert layers == {"ward": 11, "precinct": 33, "neighborhood": 13, "police_sector": 5}
    wards = [r[0] for r in _rows(url, "SELECT f.code FROM boundaries.feature f "
                                      "JOIN boundaries.version v ON v.id = f.version_id "
                                      "JOIN boundaries.layer l ON l.id = v.layer_id "
                                      "WHERE l.code = 'ward'")]
    assert sorted(wards, key=int) == [str(n) for n in range(1, 12)]
    assets = dict(_rows(url, "SELECT type_code, count(*) FROM registry.asset GROUP BY 1"))
    assert assets == {"hydrant": 1960, "road_segment": 2643, "streetlight": 6117,
                      "traffic_signal": 785, "utility_pole": 2457}
    assert _one(url, "SELECT count(*) FROM registry.service")[0] == 9


def test_cases_came_through_the_intake_with_repeats_and_lifecycles(loaded: dict) -> None:
    url = loaded["url"]
    total, repeats, counted, open_, progress, closed, resolved = _one(url, """
        SELECT count(*), count(*) FILTER (WHERE parent_id IS NOT NULL),
               sum(duplicate_count), count(*) FILTER (WHERE status = 'open'),
               count(*) FILTER (WHERE status = 'in_progress'),
               count(*) FILTER (WHERE status = 'closed' AND parent_id IS NULL),
               count(*) FILTER (WHERE closure_reason = 'resolved')
        FROM registry.service_case WHERE client = 'demo'""")
    assert total == CASES
    assert repeats >= 20 and counted == repeats
    assert open_ > 0 and progress > 0 and closed > 0 and resolved > 0
    # Every case has its districts, asset-based services snapped to assets.
    assert _one(url, "SELECT count(*) FROM registry.service_case c WHERE NOT EXISTS ("
                     "SELECT 1 FROM registry.case_district d WHERE d.case_id = c.id "
                     "AND d.layer = 'ward')")[0] == 0
    assert _one(url, "SELECT count(*) FROM registry.service_case WHERE service_code IN "
                     "('streetlight_out', 'hydrant_leak') AND asset_pk IS NULL")[0] == 0


def test_history_carries_the_simulated_times(loaded: dict) -> None:
    url = loaded["url"]
    oldest, newest, bad_events, bad_closed = _one(url, """
        SELECT min(c.requested_at), max(c.requested_at),
               (SELECT count(*) FROM registry.case_event e JOIN registry.service_case x
                  ON x.id = e.case_id WHERE e.at < x.requested_at OR e.at > now()),
               (SELECT count(*) FROM registry.service_case x WHERE x.closed_at < x.requested_at)
        FROM registry.service_case c""")
    now = datetime.now(UTC)
    assert now - timedelta(days=91) < oldest < newest < now
    assert bad_events == 0 and bad_closed == 0
    spread = _one(url, "SELECT count(DISTINCT date_trunc('day', at)) FROM registry.case_event")[0]
    assert spread > 30


def test_keys_are_printed_saved_0600_and_work(loaded: dict) -> None:
    path = Path(loaded["home"]) / access.KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = [line.split() for line in path.read_text().splitlines() if not line.startswith("#")]
    labels = [" ".join(parts[:-1]) for parts in lines]
    assert labels == ["admin", "crew", *(f"councilor ward:{n}" for n in range(1, 12))]
    with psycopg.connect(loaded["url"]) as conn:
        principals = [keys.verify(conn, parts[-1]) for parts in lines]
    assert [p.role for p in principals if p] == ["admin", "crew", *["councilor"] * 11]
    assert principals[2] is not None and principals[2].districts == ("ward:1",)
    for parts in lines:
        assert parts[-1] in loaded["first"]
    assert "/map" in loaded["first"]


def test_a_second_run_is_skipped(loaded: dict) -> None:
    second = loaded["second"]
    assert second.exit_code == 0, second.output
    assert "already loaded" in second.output and "g311_" not in second.output
    assert _one(loaded["url"], "SELECT count(*) FROM registry.service_case")[0] == CASES
    assert _one(loaded["url"], "SELECT count(*) FROM gis311.api_key")[0] == 13


def test_a_database_holding_another_city_is_refused(db: psycopg.Connection) -> None:
    db.execute("INSERT INTO boundaries.layer (code, name, kind) VALUES ('ward', 'W', 'ward')")
    with pytest.raises(load.DemoError, match="only into an empty database"):
        load.load(db, cases=10)
