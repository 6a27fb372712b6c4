"""Case intake: districts, asset linking, repeat reports, validation (one transaction each)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from registry.intake import (
    AssetRejected,
    CaseReport,
    Contact,
    IdempotencyKeyReused,
    InvalidAttribute,
    OutsideJurisdiction,
    UnknownService,
    file_case,
)
from tests.registry import city


@pytest.fixture
def town(db: psycopg.Connection) -> psycopg.Connection:
    city.build(db)
    return db


def report(service: str = "pothole", at: tuple[float, float] = city.CENTRE, **kw) -> CaseReport:
    return CaseReport(service_code=service, lon=at[0], lat=at[1], **kw)


def test_a_case_gets_a_number_districts_and_sla(town: psycopg.Connection) -> None:
    filed = file_case(town, report(description="deep hole"))
    case = filed.case
    assert filed.number == case["number"]
    year = datetime.now(UTC).strftime("%y")
    assert case["number"].startswith(f"{year}-") and len(case["number"]) == 11
    assert case["status"] == "open"
    assert case["districts"] == {"ward": {"code": "1", "name": "Ward 1", "version": "2020"}}
    requested = datetime.fromisoformat(case["requested_at"])
    expected = datetime.fromisoformat(case["expected_at"])
    assert expected - requested == timedelta(hours=72)
    assert case["parent"] is None and case["duplicate_count"] == 0


def test_reporter_contact_is_stored_apart_and_not_in_the_case(town: psycopg.Connection) -> None:
    contact = Contact(name="Ada", email="ada@example.org", phone="555-0100")
    filed = file_case(town, report(contact=contact))
    assert "ada@example.org" not in filed.case_json
    row = town.execute(
        "SELECT k.email FROM registry.case_contact k JOIN registry.service_case c "
        "ON c.id = k.case_id WHERE c.number = %s", (filed.number,)
    ).fetchone()
    assert row == ("ada@example.org",)


def test_history_and_outbox_are_written_with_the_case(town: psycopg.Connection) -> None:
    filed = file_case(town, report())
    events = town.execute(
        "SELECT e.kind FROM registry.case_event e JOIN registry.service_case c "
        "ON c.id = e.case_id WHERE c.number = %s", (filed.number,)
    ).fetchall()
    assert events == [("created",)]
    outbox = town.execute(
        "SELECT o.topic, o.payload ->> 'number' FROM registry.outbox o "
        "JOIN registry.service_case c ON c.id = o.case_id WHERE c.number = %s",
        (filed.number,),
    ).fetchall()
    assert outbox == [("case.created", filed.number)]


def test_snaps_to_the_nearest_active_asset_within_radius(town: psycopg.Connection) -> None:
    near_sl1 = city.offset(*city.STREETLIGHTS["SL-1"], 5, 12)
    case = file_case(town, report("streetlight_out", near_sl1)).case
    assert case["asset"]["asset_id"] == "SL-1"
    assert case["asset"]["distance_m"] == pytest.approx(13.0, abs=0.5)


def test_no_asset_within_radius_leaves_the_case_without_one(town: psycopg.Connection) -> None:
    far = city.offset(*city.STREETLIGHTS["SL-1"], 0, -60)
    assert file_case(town, report("streetlight_out", far)).case["asset"] is None


def test_out_of_service_assets_are_not_snapped_to(town: psycopg.Connection) -> None:
    beside = city.offset(*city.STREETLIGHTS["SL-OUT"], 2, 0)
    assert file_case(town, report("streetlight_out", beside)).case["asset"] is None


def test_a_named_asset_must_exist_be_active_and_near(town: psycopg.Connection) -> None:
    with pytest.raises(AssetRejected, match="does not exist"):
        file_case(town, report("streetlight_out", asset_id="SL-404"))
    with pytest.raises(AssetRejected, match="not active"):
        file_case(town, report("streetlight_out", city.STREETLIGHTS["SL-OUT"], asset_id="SL-OUT"))
    far = city.offset(*city.STREETLIGHTS["SL-1"], 0, 45)
    with pytest.raises(AssetRejected, match="m from the reported location"):
        file_case(town, report("streetlight_out", far, asset_id="SL-1"))
    near = city.offset(*city.STREETLIGHTS["SL-2"], 0, 10)
    assert file_case(town, report("streetlight_out", near, asset_id="SL-2")).case["asset"][
        "asset_id"
    ] == "SL-2"


def test_unknown_service_is_refused(town: psycopg.Connection) -> None:
    with pytest.raises(UnknownService, match="nope"):
        file_case(town, report("nope"))


def test_outside_the_jurisdiction_is_refused(town: psycopg.Connection) -> None:
    with pytest.raises(OutsideJurisdiction):
        file_case(town, report(at=(-71.0, 42.0)), jurisdiction_layer="ward")
    file_case(town, report(), jurisdiction_layer="ward")


def test_required_attribute_is_checked(town: psycopg.Connection) -> None:
    town.execute(
        "UPDATE registry.service SET attributes = %s WHERE code = 'pothole'",
        ('[{"code": "depth", "datatype": "singlevaluelist", "required": true, '
         '"values": [{"key": "shallow", "name": "Shallow"}, {"key": "deep", "name": "Deep"}]}]',),
    )
    with pytest.raises(InvalidAttribute, match="depth is required"):
        file_case(town, report())
    with pytest.raises(InvalidAttribute, match="not one of its choices"):
        file_case(town, report(attributes={"depth": "bottomless"}))
    assert file_case(town, report(attributes={"depth": "deep"})).case["attributes"] == {
        "depth": "deep"
    }


def test_repeat_report_on_the_same_asset_becomes_a_duplicate(town: psycopg.Connection) -> None:
    first = file_case(town, report("streetlight_out", city.STREETLIGHTS["SL-1"])).case
    again = file_case(
        town, report("streetlight_out", city.offset(*city.STREETLIGHTS["SL-1"], 10, 0))
    ).case
    assert again["parent"] == first["number"]
    assert again["status"] == "closed" and again["closure_reason"] == "duplicate"
    parent = town.execute(
        "SELECT duplicate_count FROM registry.service_case WHERE number = %s",
        (first["number"],),
    ).fetchone()
    assert parent == (1,)


def test_reports_30_m_apart_with_a_25_m_radius_are_two_parents(town: psycopg.Connection) -> None:
    a = file_case(town, report(at=city.CENTRE)).case
    b = file_case(town, report(at=city.offset(*city.CENTRE, 30, 0))).case
    assert a["parent"] is None and b["parent"] is None


def test_within_the_radius_is_a_repeat(town: psycopg.Connection) -> None:
    a = file_case(town, report(at=city.CENTRE)).case
    b = file_case(town, report(at=city.offset(*city.CENTRE, 15, 15))).case
    assert b["parent"] == a["number"]


def test_same_point_different_service_are_separate_parents(town: psycopg.Connection) -> None:
    a = file_case(town, report("pothole")).case
    b = file_case(town, report("graffiti")).case
    assert a["parent"] is None and b["parent"] is None


def test_after_the_parent_closed_a_new_parent(town: psycopg.Connection) -> None:
    a = file_case(town, report()).case
    town.execute(
        "UPDATE registry.service_case SET status = 'closed', closure_reason = 'resolved', "
        "closed_at = now() WHERE number = %s", (a["number"],)
    )
    assert file_case(town, report()).case["parent"] is None


def test_after_the_window_a_new_parent(town: psycopg.Connection) -> None:
    old = datetime.now(UTC) - timedelta(days=8)
    file_case(town, report(requested_at=old))
    assert file_case(town, report()).case["parent"] is None


def test_across_the_scope_boundary_a_new_parent(town: psycopg.Connection) -> None:
    west = (city.EDGE_LON - 0.00005, 42.37)  # ~4 m into ward 1
    east = (city.EDGE_LON + 0.00005, 42.37)  # ~4 m into ward 2
    a = file_case(town, report(at=west)).case
    b = file_case(town, report(at=east)).case
    assert a["districts"]["ward"]["code"] == "1" and b["districts"]["ward"]["code"] == "2"
    assert b["parent"] is None
    # Without a scope layer the same two reports are one problem.
    c = file_case(town, report("graffiti", west)).case
    d = file_case(town, report("graffiti", east)).case
    assert d["parent"] == c["number"]


def test_idempotency_key_replays_and_refuses_another_body(town: psycopg.Connection) -> None:
    first = file_case(town, report(description="x"), client="app-a", idempotency_key="k1")
    again = file_case(town, report(description="x"), client="app-a", idempotency_key="k1")
    assert again.replayed and not first.replayed
    assert again.case_json == first.case_json and again.number == first.number
    with pytest.raises(IdempotencyKeyReused):
        file_case(town, report(description="y"), client="app-a", idempotency_key="k1")
    other = file_case(town, report(description="x"), client="app-b", idempotency_key="k1")
    assert other.number != first.number
    count = town.execute("SELECT count(*) FROM registry.service_case").fetchone()
    assert count == (2,)


def test_a_refused_report_writes_nothing(town: psycopg.Connection) -> None:
    with pytest.raises(AssetRejected):
        file_case(town, report("streetlight_out", asset_id="SL-404"), idempotency_key="k")
    counts = town.execute(
        "SELECT (SELECT count(*) FROM registry.service_case), "
        "(SELECT count(*) FROM registry.intake_key), (SELECT count(*) FROM registry.outbox)"
    ).fetchone()
    assert counts == (0, 0, 0)


@pytest.mark.parametrize(
    ("lon", "lat"), [(float("nan"), 42.0), (-71.0, float("inf")), (-200.0, 42.0), (-71.0, 91.0)]
)
def test_bad_coordinates_are_refused_before_the_database(lon: float, lat: float) -> None:
    from registry.errors import InvalidInput

    with pytest.raises(InvalidInput):
        file_case(None, CaseReport(service_code="pothole", lon=lon, lat=lat))  # type: ignore[arg-type]
