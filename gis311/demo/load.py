"""Load the demo city into an empty database, in one transaction: the catalog, boundaries and
assets through the importers, synthetic cases through the intake pipeline, and API keys."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files

import psycopg

from gis311.demo import access, replay, sources, synth
from gis311.demo.city import CityCounts, Say, load_city

DEFAULT_SEED = 311
DEFAULT_CASES = 5000
DAYS = 90
PLACE_TYPES = sorted({k.place for k in synth.KINDS})

Ticker = Callable[[int], Callable[[int], None]]
"""Given the number of events to replay, a callback told how many are done."""


class DemoError(Exception):
    """The demo cannot be loaded into this database."""


@dataclass(frozen=True)
class CaseCounts:
    """The demo's cases once replayed."""

    total: int
    repeats: int
    open: int
    in_progress: int
    closed: int


@dataclass(frozen=True)
class Loaded:
    """What ``load`` did."""

    city: CityCounts
    cases: CaseCounts
    status_changes: int
    keys: list[access.DemoKey]
    seconds: float


def demo_cases(conn: psycopg.Connection) -> int:
    """How many cases the demo filed in this database (0: it was never loaded)."""
    row = conn.execute(
        "SELECT count(*) FROM registry.service_case WHERE client = %s", (replay.CLIENT,)
    ).fetchone()
    return int(row[0]) if row else 0


def check_empty(conn: psycopg.Connection) -> None:
    """Refuse a database that holds a city already: the demo loads only into an empty one."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM boundaries.layer), (SELECT count(*) FROM registry.asset),"
        " (SELECT count(*) FROM registry.service_case)"
    ).fetchone()
    assert row is not None
    if any(row):
        raise DemoError(
            f"this database already holds {row[0]} boundary layers, {row[1]} assets and "
            f"{row[2]} cases; the demo city loads only into an empty database "
            "(set GIS311_DATABASE_URL or GIS311_HOME to another one)"
        )


def places(conn: psycopg.Connection, layer: str) -> dict[str, list[synth.Place]]:
    """The places the synthetic incidents happen at, by asset type."""
    query = (files("gis311.demo") / "sql" / "places.sql").read_text()
    found: dict[str, list[synth.Place]] = {}
    for asset_id, type_code, lon, lat, label in conn.execute(
        query, {"layer": layer, "types": PLACE_TYPES}
    ):
        found.setdefault(type_code, []).append(synth.Place(asset_id, type_code, lon, lat, label))
    return found


def case_counts(conn: psycopg.Connection) -> CaseCounts:
    """Counts of the demo's cases by kind and status."""
    row = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE parent_id IS NOT NULL),"
        " count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status = 'in_progress'),"
        " count(*) FILTER (WHERE status = 'closed')"
        " FROM registry.service_case WHERE client = %s", (replay.CLIENT,),
    ).fetchone()
    assert row is not None
    return CaseCounts(*(int(v) for v in row))


def load(
    conn: psycopg.Connection, *, seed: int = DEFAULT_SEED, cases: int = DEFAULT_CASES,
    say: Say = lambda line: None, ticker: Ticker | None = None,
    now: datetime | None = None,
) -> Loaded | None:
    """Load the demo city in the caller's transaction (the caller commits); None when it is
    loaded already. Raises DemoError for a database holding another city."""
    started = time.perf_counter()
    # Two loads at once would both find the database empty.
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('gis311:demo', 0))")
    if demo_cases(conn):
        return None
    check_empty(conn)
    with sources.unpacked() as folder:
        city = load_city(conn, folder, say)
    layer = sources.JURISDICTION_LAYER
    moment = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    events = synth.generate(places(conn, layer), seed=seed, reports=cases, now=moment, days=DAYS)
    say(f"cases: replaying {cases} reports and their status changes over {DAYS} days "
        f"(seed {seed})")
    done = replay.replay(conn, events, layer=layer,
                         tick=ticker(len(events)) if ticker is not None else None)
    made = access.create_keys(conn, layer)
    return Loaded(city=city, cases=case_counts(conn), status_changes=done.changes, keys=made,
                  seconds=time.perf_counter() - started)
