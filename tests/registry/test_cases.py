"""Reading and changing cases: lifecycle, notes, duplicates, splits, filters, paging."""

from __future__ import annotations

import json

import psycopg
import pytest

from registry.cases import (
    EVERYTHING,
    PUBLIC,
    CaseFilter,
    CaseNotFound,
    CaseScope,
    get_case,
    list_cases,
    mark_duplicate,
    split_case,
    update_case,
)
from registry.errors import Conflict, InvalidInput
from registry.intake import CaseReport, Contact, file_case
from tests.registry import city


@pytest.fixture
def town(db: psycopg.Connection) -> psycopg.Connection:
    city.build(db)
    return db


def _file(conn: psycopg.Connection, service: str = "pothole", east: float = 0.0) -> str:
    lon, lat = city.offset(*city.CENTRE, east, 0)
    return file_case(conn, CaseReport(service_code=service, lon=lon, lat=lat)).number


def _case(conn: psycopg.Connection, number: str) -> dict:
    return json.loads(get_case(conn, number))


def _outbox_topics(conn: psycopg.Connection, number: str) -> list[str]:
    rows = conn.execute(
        "SELECT o.topic FROM registry.outbox o JOIN registry.service_case c ON c.id = o.case_id "
        "WHERE c.number = %s ORDER BY o.id", (number,),
    ).fetchall()
    return [r[0] for r in rows]


def test_status_changes_are_history_and_outbox_events(town: psycopg.Connection) -> None:
    number = _file(town)
    update_case(town, number, actor="crew-7", status="in_progress", note="crew dispatched")
    closed = json.loads(
        update_case(town, number, actor="crew-7", status="closed", closure_reason="resolved")
    )
    assert closed["status"] == "closed" and closed["closure_reason"] == "resolved"
    assert closed["closed_at"] is not None
    kinds = [(h["kind"], h["actor"]) for h in closed["history"]]
    assert kinds == [("created", "api"), ("status_changed", "crew-7"),
                     ("status_changed", "crew-7")]
    assert closed["history"][1]["note"] == "crew dispatched"
    assert _outbox_topics(town, number) == ["case.created", "case.updated", "case.updated"]


def test_internal_notes_and_contact_show_only_in_the_views_that_allow_them(
    town: psycopg.Connection,
) -> None:
    lon, lat = city.CENTRE
    number = file_case(town, CaseReport(
        service_code="pothole", lon=lon, lat=lat, contact=Contact(email="ada@example.org"),
    )).number
    update_case(town, number, actor="key:7", internal_note="caller is angry")
    public = get_case(town, number, scope=PUBLIC)
    assert "angry" not in public and "ada@" not in public and "key:7" not in public
    internal = json.loads(get_case(town, number, scope=CaseScope(view="internal")))
    assert internal["history"][-1]["note"] == "caller is angry"
    assert internal["history"][-1]["actor"] == "key:7" and "reporter" not in internal
    full = json.loads(get_case(town, number, scope=EVERYTHING))
    assert full["reporter"] == {"email": "ada@example.org"}


def test_scopes_limit_cases_by_department_and_district(town: psycopg.Connection) -> None:
    town.execute("UPDATE registry.service SET department = 'Streets' WHERE code = 'pothole'")
    pothole = _file(town)
    graffiti = _file(town, "graffiti")
    east = file_case(town, CaseReport(service_code="pothole", lon=city.WARD2_CENTRE[0],
                                      lat=city.WARD2_CENTRE[1])).number
    streets = CaseScope(departments=("Streets",))
    ward1 = CaseScope(districts=("ward:1",))
    assert json.loads(get_case(town, pothole, scope=streets))["number"] == pothole
    with pytest.raises(CaseNotFound):
        get_case(town, graffiti, scope=streets)
    with pytest.raises(CaseNotFound):
        get_case(town, east, scope=ward1)
    listed, _ = list_cases(town, CaseFilter(), limit=50, after=None, scope=ward1)
    assert {json.loads(c)["number"] for c in listed} == {pothole, graffiti}
    with pytest.raises(CaseNotFound):
        update_case(town, east, actor="x", note="out of scope", scope=ward1)


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        ("closed", None, "needs a closure_reason"),
        ("open", "resolved", "goes with status closed"),
        ("done", None, "status must be"),
        ("closed", "duplicate", "duplicate-of"),
    ],
)
def test_bad_lifecycle_changes_are_refused(
    town: psycopg.Connection, status: str, reason: str | None, message: str
) -> None:
    number = _file(town)
    with pytest.raises(InvalidInput, match=message):
        update_case(town, number, actor="x", status=status, closure_reason=reason)


def test_unknown_case_is_not_found(town: psycopg.Connection) -> None:
    with pytest.raises(CaseNotFound):
        get_case(town, "26-99999999")
    with pytest.raises(CaseNotFound):
        update_case(town, "26-99999999", actor="x", note="hi")


def test_staff_mark_a_duplicate_and_its_repeats_follow(town: psycopg.Connection) -> None:
    a = _file(town)
    b = _file(town, east=100)
    b_repeat = _file(town, east=105)
    assert _case(town, b_repeat)["parent"] == b
    marked = json.loads(mark_duplicate(town, b, a, actor="staff", note="same pothole"))
    assert marked["parent"] == a and marked["closure_reason"] == "duplicate"
    parent = _case(town, a)
    assert parent["duplicate_count"] == 2
    assert sorted(parent["duplicates"]) == sorted([b, b_repeat])
    assert _case(town, b_repeat)["parent"] == a
    assert _case(town, b)["duplicate_count"] == 0


def test_duplicate_of_a_duplicate_is_refused(town: psycopg.Connection) -> None:
    a = _file(town)
    a_repeat = _file(town, east=5)
    assert _case(town, a_repeat)["parent"] == a
    c = _file(town, east=300)
    with pytest.raises(Conflict, match="itself a repeat report"):
        mark_duplicate(town, c, a_repeat, actor="staff")


def test_split_makes_an_open_case_of_its_own(town: psycopg.Connection) -> None:
    a = _file(town)
    repeat = _file(town, east=5)
    split = json.loads(split_case(town, repeat, actor="staff", note="different hole"))
    assert split["status"] == "open" and split["parent"] is None
    assert _case(town, a)["duplicate_count"] == 0
    with pytest.raises(Conflict):
        split_case(town, repeat, actor="staff")


def test_split_of_an_asset_repeat_does_not_clash_with_the_anchor(
    town: psycopg.Connection,
) -> None:
    first = _file(town, "streetlight_out")
    repeat = _file(town, "streetlight_out", east=3)
    assert _case(town, repeat)["parent"] == first
    split_case(town, repeat, actor="staff")
    # The anchor is still the one the next report of that streetlight joins.
    assert _case(town, _file(town, "streetlight_out", east=1))["parent"] == first


def test_a_repeat_cannot_change_status_until_split(town: psycopg.Connection) -> None:
    _file(town)
    repeat = _file(town, east=5)
    with pytest.raises(Conflict, match="split it off"):
        update_case(town, repeat, actor="x", status="open")


def test_list_filters_and_pages(town: psycopg.Connection) -> None:
    numbers = [_file(town, east=100 * i) for i in range(5)]
    graffiti = _file(town, "graffiti")
    seen: list[str] = []
    cursor = None
    while True:
        page, cursor = list_cases(town, CaseFilter(service_code=["pothole"]), limit=2,
                                  after=cursor)
        seen += [json.loads(c)["number"] for c in page]
        if cursor is None:
            break
    assert seen == list(reversed(numbers))
    by_ward, _ = list_cases(town, CaseFilter(district=("ward", "1")), limit=50, after=None)
    assert len(by_ward) == 6
    none, _ = list_cases(town, CaseFilter(district=("ward", "2")), limit=50, after=None)
    assert none == []
    only, _ = list_cases(town, CaseFilter(service_code=["graffiti"]), limit=50, after=None)
    assert [json.loads(c)["number"] for c in only] == [graffiti]
    west, _ = list_cases(
        town, CaseFilter(bbox=(-71.12, 42.36, -71.1095, 42.38)), limit=50, after=None
    )
    assert 1 <= len(west) < 6
