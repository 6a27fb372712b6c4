"""File the synthetic reports through the real intake pipeline and change their cases'
statuses through the real case lifecycle, in time order, then put the simulated times on the
history the pipeline wrote.

``registry.intake.file_case`` assigns the districts, snaps each report to its asset and folds a
repeat report into an open parent by the service's own rule; the demo only follows where each
incident's reports went, so its status changes reach the case that stands for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from importlib.resources import files

import psycopg

from gis311.demo.synth import Event, Report, StatusChange
from registry import cases, intake

CLIENT = "demo"
ACTOR = "demo"
RANK = {"open": 0, "in_progress": 1, "closed": 2}
ANALYZE_EVERY = 1000

Tick = Callable[[int], None]


@dataclass(frozen=True)
class Replayed:
    """How many reports were filed and how many status changes applied."""

    filed: int
    changes: int


def _file(conn: psycopg.Connection, report: Report, layer: str) -> intake.Filed:
    case = intake.CaseReport(
        service_code=report.service_code, lon=report.lon, lat=report.lat,
        description=report.description, address=report.address, channel=report.channel,
        attributes=dict(report.attributes), asset_id=report.asset_id, contact=report.contact,
        requested_at=report.at,
    )
    try:
        return intake.file_case(conn, case, client=CLIENT, actor=ACTOR, jurisdiction_layer=layer)
    except intake.OutsideJurisdiction:
        # The caller's jitter pushed a spot by the city line outside it; the asset it is about
        # lies inside (the places query checks), so the report is placed there instead.
        lon, lat = report.place
        return intake.file_case(
            conn, replace(case, lon=lon, lat=lat), client=CLIENT, actor=ACTOR,
            jurisdiction_layer=layer,
        )


def replay(
    conn: psycopg.Connection, events: Sequence[Event], *, layer: str, tick: Tick | None = None
) -> Replayed:
    """Apply ``events`` in order in the caller's transaction; ``tick(n)`` after each one."""
    current: dict[int, str] = {}  # incident -> the case number its reports went to
    status: dict[str, str] = {}
    changed: list[tuple[str, datetime]] = []
    filed = 0
    for done, event in enumerate(events, 1):
        if isinstance(event, Report):
            case = _file(conn, event, layer).case
            number = case["parent"] or case["number"]
            current[event.incident] = number
            status.setdefault(number, "open")
            filed += 1
        elif isinstance(event, StatusChange):
            number = current.get(event.incident, "")
            # Another incident's reports may have folded into the same case and moved it on.
            if number and RANK[event.status] > RANK[status[number]]:
                cases.update_case(conn, number, actor=ACTOR, status=event.status,
                                  closure_reason=event.closure_reason, note=event.note)
                status[number] = event.status
                changed.append((number, event.at))
        if done % ANALYZE_EVERY == 0:
            # The case tables start empty in this transaction: without fresh statistics the
            # intake's cached plans would keep scanning them as if they still were.
            conn.execute("ANALYZE registry.service_case, registry.case_district")
        if tick is not None:
            tick(done)
    backdate(conn, changed)
    return Replayed(filed=filed, changes=len(changed))


def backdate(conn: psycopg.Connection, changed: Sequence[tuple[str, datetime]]) -> None:
    """Move the demo cases' history to the simulated times.

    The pipeline stamps events, ``updated_at`` and ``closed_at`` with the transaction's time;
    the demo replays 90 days in seconds, so it moves them to when each report and status
    change happened: a report's events to its ``requested_at``, the n-th status change of a
    case to the n-th time in ``changed`` for it.
    """
    conn.execute(
        "CREATE TEMP TABLE demo_change (number text, ordinal int, at timestamptz) ON COMMIT DROP"
    )
    ordinals: dict[str, int] = {}
    with conn.cursor().copy("COPY demo_change (number, ordinal, at) FROM STDIN") as copy:
        for number, at in changed:
            ordinals[number] = ordinals.get(number, 0) + 1
            copy.write_row((number, ordinals[number], at))
    text = (files("gis311.demo") / "sql" / "backdate.sql").read_text()
    for statement in text.split("\n;\n"):
        conn.execute(statement, {"client": CLIENT})
    conn.execute("DROP TABLE demo_change")
