"""Fan-out: which subscriptions an outbox event reaches, with what body and when."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from gis311.notify import fanout, subscriptions
from registry import cases, intake
from tests.gis311.notify import grid

PUBLIC = "https://311.city.example/"


@pytest.fixture
def city(db: psycopg.Connection) -> psycopg.Connection:
    grid.build(db)
    return db


def subscribe(db: psycopg.Connection, district: str, **options) -> int:
    new = subscriptions.NewSubscription(
        district=district, channel=options.pop("channel", "webhook"),
        url=options.pop("url", "http://127.0.0.1:9/hook"), **options,
    )
    return subscriptions.create(db, new).subscription.id


def file(db: psycopg.Connection, district: str, service: str = "pothole", **report) -> str:
    lon, lat = grid.centre(district)
    return intake.file_case(
        db, intake.CaseReport(service_code=service, lon=lon + 0.001, lat=lat, **report)
    ).number


def deliveries(db: psycopg.Connection) -> list[tuple[int, str, str]]:
    """(subscription id, event, case number) of every delivery, in id order."""
    return [
        (r[0], r[1], r[2]) for r in db.execute(
            "SELECT subscription_id, event, body -> 'case' ->> 'number' FROM gis311.delivery "
            "ORDER BY id"
        ).fetchall()
    ]


def run(db: psycopg.Connection, **options) -> fanout.FanOut:
    return fanout.fan_out_all(db, public_url=PUBLIC, **options)


def test_an_event_reaches_the_subscriptions_of_the_districts_it_was_filed_in(city) -> None:
    three = subscribe(city, "council:3")
    four = subscribe(city, "council:4")
    police = subscribe(city, "police:A")
    number = file(city, "3")
    done = run(city)
    assert done == fanout.FanOut(events=1, deliveries=2)
    assert sorted(deliveries(city)) == sorted(
        [(three, "case.created", number), (police, "case.created", number)]
    )
    assert four not in {d[0] for d in deliveries(city)}


def test_the_service_filter_lets_only_its_services_through(city) -> None:
    graffiti_only = subscribe(city, "council:2", service_codes=["graffiti"])
    everything = subscribe(city, "council:2")
    pothole = file(city, "2", "pothole")
    graffiti = file(city, "2", "graffiti")
    run(city)
    got = deliveries(city)
    assert (graffiti_only, "case.created", graffiti) in got
    assert (graffiti_only, "case.created", pothole) not in got
    assert {(everything, "case.created", n) for n in (pothole, graffiti)} <= set(got)


def test_status_changes_notify_with_the_change(city) -> None:
    sub = subscribe(city, "council:5")
    number = file(city, "5")
    cases.update_case(city, number, actor="test", status="closed", closure_reason="resolved")
    run(city)
    rows = city.execute(
        "SELECT event, body FROM gis311.delivery WHERE subscription_id = %s ORDER BY id", (sub,)
    ).fetchall()
    assert [r[0] for r in rows] == ["case.created", "case.updated"]
    updated = rows[1][1]
    assert updated["change"] == {
        "status": "closed", "previous_status": "open", "closure_reason": "resolved"
    }
    assert updated["case"]["status"] == "closed"


def test_events_follow_the_district_at_filing_across_redistricting(city) -> None:
    # Version 2020 ends 2026-01-01; from then the area of district 3 belongs to district 4.
    city.execute(
        "UPDATE boundaries.version SET valid_to = '2026-01-01' FROM boundaries.layer l "
        "WHERE l.id = layer_id AND l.code = 'council'"
    )
    moved = {code: grid.box(code) for code in grid.DISTRICTS if code not in ("3", "4")}
    west3, south3, _, north3 = grid.box("3")
    moved["4"] = (west3, south3, grid.box("4")[2], north3)
    grid.add_version(city, "council", "2026", moved, valid_from="2026-01-01")
    three = subscribe(city, "council:3")
    four = subscribe(city, "council:4")
    old = file(city, "3", requested_at=datetime(2025, 6, 1, tzinfo=UTC))
    new = file(city, "3", requested_at=datetime(2026, 6, 1, tzinfo=UTC))
    cases.update_case(city, old, actor="test", status="in_progress")
    run(city)
    got = deliveries(city)
    assert (three, "case.created", old) in got and (three, "case.updated", old) in got
    assert (four, "case.created", new) in got
    assert {d[2] for d in got if d[0] == three} == {old}
    assert {d[2] for d in got if d[0] == four} == {new}


def test_fan_out_marks_events_and_never_duplicates(city) -> None:
    subscribe(city, "council:1")
    file(city, "1")
    file(city, "1")
    assert run(city) == fanout.FanOut(events=2, deliveries=2)
    assert run(city) == fanout.FanOut(events=0, deliveries=0)
    pending = city.execute(
        "SELECT count(*) FROM registry.outbox WHERE fanned_out_at IS NULL"
    ).fetchone()
    assert pending == (0,)
    # As if the marks were lost: the same events fan out to no second delivery.
    city.execute("UPDATE registry.outbox SET fanned_out_at = NULL")
    assert run(city) == fanout.FanOut(events=2, deliveries=0)
    assert len(deliveries(city)) == 2


def test_small_batches_drain_everything(city) -> None:
    subscribe(city, "council:6")
    numbers = {file(city, "6") for _ in range(7)}
    assert run(city, batch=3) == fanout.FanOut(events=7, deliveries=7)
    assert {d[2] for d in deliveries(city)} == numbers


def test_later_and_deleted_subscriptions_get_nothing(city) -> None:
    later = subscribe(city, "council:7")
    city.execute(
        "UPDATE gis311.subscription SET created_at = now() + interval '1 minute' WHERE id = %s",
        (later,),
    )
    gone = subscribe(city, "council:7")
    subscriptions.delete(city, gone)
    file(city, "7")
    assert run(city) == fanout.FanOut(events=1, deliveries=0)


def test_an_event_without_a_subscriber_is_still_marked(city) -> None:
    file(city, "8")
    assert run(city) == fanout.FanOut(events=1, deliveries=0)
    assert run(city).events == 0


def test_the_body_holds_the_public_case_and_a_link(city) -> None:
    subscribe(city, "council:1")
    lon, lat = grid.centre("1")
    number = intake.file_case(city, intake.CaseReport(
        service_code="streetlight_out", lon=lon + 0.0001, lat=lat, address="1 Grid Square",
        description="dark", contact=intake.Contact(email="resident@example.org"),
    )).number
    run(city)
    row = city.execute("SELECT body FROM gis311.delivery").fetchone()
    assert row is not None
    body = row[0]
    assert body["event"] == "case.created"
    assert body["change"] == {"duplicate": False}
    case = body["case"]
    assert set(case) == {
        "number", "service_code", "service_name", "status", "closure_reason", "requested_at",
        "address", "lat", "lon", "districts", "asset", "parent", "url",
    }
    assert case["number"] == number
    assert case["service_name"] == "Streetlight Out"
    assert case["districts"]["council"] == {"code": "1", "name": "Council 1", "version": "2020"}
    assert case["districts"]["police"]["code"] == "A"
    assert case["asset"]["asset_id"] == "SL-N1"
    assert case["url"] == f"https://311.city.example/api/v1/cases/{number}"
    assert "resident@example.org" not in str(body)


def test_digests_wait_for_the_end_of_their_period(city) -> None:
    hourly = subscribe(city, "council:9", channel="email", url=None, digest="hourly")
    daily = subscribe(city, "council:9", channel="email", url=None, digest="daily")
    immediate = subscribe(city, "council:9", channel="email", url=None)
    file(city, "9")
    run(city, timezone="America/New_York")
    rows = {r[0]: r[1:] for r in city.execute(
        "SELECT d.subscription_id, d.digest_period, d.next_attempt_at, o.created_at "
        "FROM gis311.delivery d JOIN registry.outbox o ON o.id = d.outbox_id"
    ).fetchall()}
    expected = city.execute(
        "SELECT date_trunc('hour', now()) + interval '1 hour', "
        "(date_trunc('day', now() AT TIME ZONE 'America/New_York') + interval '1 day') "
        "AT TIME ZONE 'America/New_York'"
    ).fetchone()
    assert expected is not None
    assert rows[hourly][0] == rows[hourly][1] == expected[0]
    assert rows[daily][0] == rows[daily][1] == expected[1]
    assert rows[immediate][0] is None and rows[immediate][1] == rows[immediate][2]


def test_case_url_strips_the_trailing_slash() -> None:
    assert fanout.case_url("http://x.example/") == "http://x.example/api/v1/cases/"
    assert fanout.case_url("http://x.example/base") == "http://x.example/base/api/v1/cases/"
