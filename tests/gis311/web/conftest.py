"""A committed fixture city (two wards, streetlights, cases, keys) served by the live server,
and Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from gis311 import keys
from registry import intake
from tests.gis311.web.browser import ARGS, CHROMIUM, require_chromium
from tests.registry import city

# Ward 1 (west of lon -71.10) and ward 2 (east of it); see tests/registry/city.py.
SL1 = city.STREETLIGHTS["SL-1"]


@dataclass(frozen=True)
class Town:
    """What the map tests find on the map."""

    url: str
    ward1_open: set[str]  # open (or in progress) cases of ward 1, repeats left out
    ward2_open: set[str]
    light_case: str  # the open streetlight case on SL-1 (with one repeat report)
    positions: dict[str, tuple[float, float]]
    councilor_key: str
    crew_key: str


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _file(conn: psycopg.Connection, service: str, lon: float, lat: float, hours_ago: float,
          **extra: Any) -> dict[str, Any]:
    report = intake.CaseReport(
        service_code=service, lon=lon, lat=lat, description=f"{service} for the map test",
        requested_at=datetime.now(UTC) - timedelta(hours=hours_ago), **extra,
    )
    return intake.file_case(conn, report, client="map-test").case


def _build(conn: psycopg.Connection) -> dict[str, tuple[float, float]]:
    city.build(conn)
    # Services belong to the department of their assets (crew keys are scoped by it).
    has_department = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = 'registry' "
        "AND table_name = 'service' AND column_name = 'department'").fetchone()
    if has_department:
        conn.execute("UPDATE registry.service SET department = 'Public Works'")
    reports = [  # (service, where, hours ago)
        ("streetlight_out", city.offset(*SL1, 12, 0), 30),  # snaps to SL-1, 12 m east of it
        ("streetlight_out", city.offset(*SL1, 0, 8), 5),  # a repeat report of the same light
        ("pothole", city.offset(*city.CENTRE, 120, 80), 5),
        ("graffiti", city.offset(*city.CENTRE, -300, -250), 5),
        ("pothole", city.WARD2_CENTRE, 5),
        ("graffiti", city.offset(*city.WARD2_CENTRE, 250, 300), 5),
    ]
    positions = {}
    for service, (lon, lat), hours in reports:
        case = _file(conn, service, lon, lat, hours_ago=hours)
        positions[case["number"]] = (case["lon"], case["lat"])
    return positions


@pytest.fixture(scope="module")
def town(live_server: str, database_url: str) -> Iterator[Town]:
    with psycopg.connect(database_url) as conn:
        positions = _build(conn)
        rows = conn.execute(
            "SELECT c.number, d.code, c.parent_id IS NOT NULL, c.service_code "
            "FROM registry.service_case c JOIN registry.case_district d ON d.case_id = c.id "
            "AND d.layer = 'ward'").fetchall()
        councilor = keys.create(conn, role="councilor", districts=["ward:1"], name="map test")
        crew = keys.create(conn, role="crew", departments=["Public Works"], name="map test")
    open_cases = {code: {n for n, c, dup, _ in rows if c == code and not dup} for code in "12"}
    light = next(n for n, _, dup, s in rows if s == "streetlight_out" and not dup)
    try:
        yield Town(live_server, open_cases["1"], open_cases["2"], light, positions,
                   councilor.key, crew.key)
    finally:
        with psycopg.connect(database_url) as conn:
            city.clear(conn)
            conn.execute("DELETE FROM gis311.api_key WHERE id = ANY(%s)",
                         ([councilor.info.id, crew.info.id],))
