"""Real Open311 clients from PyPI, unmodified, against ``gis311 serve`` on 127.0.0.1.

georeport 0.3.1 (JSON and XML), boston311 0.1.1 and chicagorequests 0.0.5 each hard-code a city's
address: georeport takes the root address in its constructor; boston311 reads the module
attribute ``boston311.api.BOSTON_API_ENDPOINT`` and chicagorequests the class attribute
``Downloader.BASE_URL``, which the tests point at the live server. Every call must succeed and
return exactly the cases that were filed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boston311
import boston311.api
import chicagorequests
import httpx
import psycopg
import pytest
from boston311.datamodels import Status
from click.testing import CliRunner
from georeport import GeoReport

from registry import cases, intake
from tests.gis311.open311 import town
from tests.registry import city

V2 = "/open311/v2"


@dataclass(frozen=True)
class LiveTown:
    base: str
    open: list[str]
    closed: list[str]
    pothole: str
    streetlight: str
    duplicate: str

    @property
    def all(self) -> set[str]:
        return set(self.open) | set(self.closed)


def _post(base: str, form: dict[str, Any]) -> str:
    response = httpx.post(f"{base}{V2}/requests.json", data=form, timeout=30)
    assert response.status_code == 201, response.text
    return str(response.json()[0]["service_request_id"])


@pytest.fixture(scope="module")
def live_town(live_server: str, database_url: str) -> Iterator[LiveTown]:
    with psycopg.connect(database_url) as conn:
        keys = town.build(conn)
    base = f"{live_server}"
    try:
        form = {"api_key": keys.reporter, "lat": town.LAT, "long": town.LON,
                "description": "reported through the live server", **town.REPORTER}
        streetlight = _post(base, {**form, "service_code": "streetlight_out",
                                   "attribute[light_state]": "out", "attribute[asset_id]": "SL-1"})
        duplicate = _post(base, {**form, "service_code": "streetlight_out",
                                 "attribute[light_state]": "flickering",
                                 "attribute[asset_id]": "SL-1"})
        pothole = _post(base, {**{k: v for k, v in form.items() if k not in ("lat", "long")},
                               "service_code": "pothole", "address_string": "51 Test Street",
                               "attribute[hazards][]": ["bikes", "cars"]})
        lon, lat = city.WARD2_CENTRE
        graffiti = _post(base, {**form, "service_code": "graffiti", "lat": lat, "long": lon,
                                "media_url": "https://example.org/wall.jpg"})
        noise = _post(base, {**form, "service_code": "noise", "lat": lat,
                             "long": lon + 0.001})
        with psycopg.connect(database_url) as conn:
            cases.update_case(conn, pothole, actor="crew", status="in_progress",
                              note="crew assigned")
            cases.update_case(conn, graffiti, actor="crew", status="closed",
                              closure_reason="resolved", note="painted over")
        yield LiveTown(base=base, open=[streetlight, pothole, noise],
                       closed=[duplicate, graffiti], pothole=pothole, streetlight=streetlight,
                       duplicate=duplicate)
    finally:
        with psycopg.connect(database_url) as conn:
            town.clear(conn)


def _as_list(value: Any) -> list[Any]:
    """xmltodict gives one child as a dict and several as a list."""
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("jurisdiction", [None, town.JURISDICTION])
def test_georeport(live_town: LiveTown, fmt: str, jurisdiction: str | None) -> None:
    client = GeoReport(f"{live_town.base}{V2}", jurisdiction=jurisdiction, output_format=fmt)

    services = _as_list(client.get_service_list())
    assert {s["service_code"] for s in services} == {
        "streetlight_out", "pothole", "graffiti", "noise"}
    definition = client.get_service_definition("streetlight_out")
    attributes = _as_list(definition["attributes"]["attribute"] if fmt == "xml"
                          else definition["attributes"])
    assert [a["code"] for a in attributes] == ["light_state", "pole_number", "asset_id"]

    def numbers(**filters: str) -> set[str]:
        found = _as_list(client.get_service_requests(**filters))
        return {r["service_request_id"] for r in found}

    assert numbers() == live_town.all
    two = f"{live_town.pothole},{live_town.duplicate}"
    assert numbers(service_request_id=two) == {live_town.pothole, live_town.duplicate}
    assert numbers(service_code="pothole") == {live_town.pothole}
    assert numbers(service_code="pothole,streetlight_out") == {
        live_town.pothole, live_town.streetlight, live_town.duplicate}
    today = dt.datetime.now(dt.UTC)
    start = (today - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (today + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert numbers(start_date=start, end_date=end) == live_town.all
    assert numbers(start_date=start) == live_town.all
    assert numbers(end_date=end) == live_town.all
    assert numbers(status="open") == set(live_town.open)
    assert numbers(status="closed") == set(live_town.closed)

    single = client.get_service_request(live_town.duplicate)
    assert single["service_request_id"] == live_town.duplicate
    assert single["status"] == "closed" and live_town.streetlight in single["status_notes"]
    assert float(single["lat"]) == pytest.approx(town.LAT)


def test_boston311(live_town: LiveTown, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boston311.api, "BOSTON_API_ENDPOINT", f"{live_town.base}{V2}/")
    services = boston311.get_services()
    assert len(services) == 4
    assert services.get_service_code("Pothole") == "pothole"

    everything = boston311.get_service_requests()
    assert {r.service_request_id for r in everything.service_requests} == live_town.all
    now = dt.datetime.now(dt.UTC)
    dated = boston311.get_service_requests(
        service_code="streetlight_out", start_date=now - dt.timedelta(hours=1),
        end_date=now + dt.timedelta(hours=1))
    assert {r.service_request_id for r in dated.service_requests} == {
        live_town.streetlight, live_town.duplicate}
    closed = boston311.get_service_requests(status=Status.CLOSED)
    assert {r.service_request_id for r in closed.service_requests} == set(live_town.closed)
    graffiti = next(r for r in closed.service_requests if r.service_code == "graffiti")
    assert str(graffiti.media_url) == "https://example.org/wall.jpg"

    one = boston311.get_service_request(live_town.pothole)
    assert one is not None and one.service_request_id == live_town.pothole
    assert one.status == Status.OPEN and one.address == "51 Test Street"
    assert one.lat == pytest.approx(42.37)


@pytest.fixture
def many_cases(live_town: LiveTown, database_url: str) -> Iterator[tuple[list[str], dt.datetime,
                                                                          dt.datetime]]:
    """230 committed cases: more than one page of 200."""
    numbers = []
    with psycopg.connect(database_url) as conn:
        # The window starts at the last change of the town's own cases: updated_after is
        # exclusive, so they fall outside it and every bulk case (changed later) inside.
        row = conn.execute("SELECT max(updated_at) FROM registry.service_case").fetchone()
        assert row is not None
        before: dt.datetime = row[0]
        west, south = -71.118, 42.362
        for i in range(230):
            lon, lat = city.offset(west, south, 40.0 * (i % 15), 40.0 * (i // 15))
            report = intake.CaseReport(service_code="graffiti", lon=lon, lat=lat,
                                       channel="open311", description=f"wall {i}")
            numbers.append(intake.file_case(conn, report, client="bulk", actor="bulk").number)
        conn.commit()
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    yield numbers, before, after
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM registry.case_event WHERE actor = 'bulk'")
        conn.execute("DELETE FROM registry.outbox o USING registry.service_case c "
                     "WHERE o.case_id = c.id AND c.client = 'bulk'")
        conn.execute("DELETE FROM registry.case_district d USING registry.service_case c "
                     "WHERE d.case_id = c.id AND c.client = 'bulk'")
        conn.execute("DELETE FROM registry.service_case WHERE client = 'bulk'")


def test_chicagorequests_pages_with_extensions_and_updated_window(
    live_town: LiveTown, many_cases: tuple[list[str], dt.datetime, dt.datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    numbers, before, after = many_cases
    monkeypatch.setattr(chicagorequests.Downloader, "BASE_URL",
                        f"{live_town.base}{V2}/requests.json")
    seen_urls: list[str] = []
    original = chicagorequests.APIScraper.request

    def recording(self, method, url, **kwargs):
        response = original(self, method, url, **kwargs)
        seen_urls.append(response.url)
        return response

    monkeypatch.setattr(chicagorequests.APIScraper, "request", recording)
    day = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1), dt.datetime.now(dt.UTC)
           + dt.timedelta(days=1))
    downloader = chicagorequests.Downloader(
        updated_start_date=before.isoformat(), updated_end_date=after.isoformat())
    results = downloader(day)
    assert len(seen_urls) == 2  # a full page of 200, then the rest
    assert all("page_size=200" in u and "extensions=true" in u for u in seen_urls)
    assert sorted(r["service_request_id"] for r in results) == sorted(numbers)
    assert all(r["extended_attributes"]["ward"] in ("1", "2") for r in results)
    assert all(r["extended_attributes"]["channel"] == "open311" for r in results)

    later = chicagorequests.Downloader(updated_start_date=after.isoformat(),
                                       updated_end_date=(after + dt.timedelta(hours=1)).isoformat())
    assert later(day) == []
    earlier = chicagorequests.Downloader(
        updated_start_date=(before - dt.timedelta(days=1)).isoformat(),
        updated_end_date=(before + dt.timedelta(microseconds=1)).isoformat())
    assert {r["service_request_id"] for r in earlier(day)} == live_town.all


def test_chicagorequests_command_line(
    live_town: LiveTown, many_cases: tuple[list[str], dt.datetime, dt.datetime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    numbers, _, _ = many_cases
    monkeypatch.setattr(chicagorequests.Downloader, "BASE_URL",
                        f"{live_town.base}{V2}/requests.json")
    today = dt.date.today()
    result = CliRunner().invoke(chicagorequests.main, [
        "--start-date", str(today - dt.timedelta(days=1)),
        "--end-date", str(today + dt.timedelta(days=1)),
        "--updated-start-date", str(today - dt.timedelta(days=1)),
    ])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {r["service_request_id"] for r in lines} == set(numbers) | live_town.all
