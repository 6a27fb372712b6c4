"""The synthetic reports: deterministic per seed, inside the window, repeats and lifecycles."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from gis311.demo import synth

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _places() -> dict[str, list[synth.Place]]:
    grid = [(-71.12 + i * 0.001, 42.37 + j * 0.001) for i in range(10) for j in range(10)]
    return {
        kind: [synth.Place(f"{kind}-{n}", kind, lon, lat, "Main St")
               for n, (lon, lat) in enumerate(grid)]
        for kind in ("streetlight", "hydrant", "road_segment", "traffic_signal", "utility_pole")
    }


def test_the_same_seed_gives_the_same_events_and_another_seed_others() -> None:
    first = synth.generate(_places(), seed=5, reports=300, now=NOW)
    assert first == synth.generate(_places(), seed=5, reports=300, now=NOW)
    assert first != synth.generate(_places(), seed=6, reports=300, now=NOW)


def test_exactly_the_reports_asked_for_in_time_order_within_the_window() -> None:
    events = synth.generate(_places(), seed=1, reports=500, now=NOW, days=90)
    reports = [e for e in events if isinstance(e, synth.Report)]
    assert len(reports) == 500
    times = [e.at for e in events]
    assert times == sorted(times)
    assert NOW - timedelta(days=90) <= min(times) and max(times) < NOW
    assert {r.service_code for r in reports} == {k.service_code for k in synth.KINDS}


def test_incidents_have_repeat_reports_and_lives_after_their_first_report() -> None:
    events = synth.generate(_places(), seed=2, reports=1000, now=NOW)
    per_incident = Counter(e.incident for e in events if isinstance(e, synth.Report))
    assert sum(1 for n in per_incident.values() if n > 1) > 50
    first: dict[int, datetime] = {}
    for e in events:
        if isinstance(e, synth.Report):
            first.setdefault(e.incident, e.at)
        else:
            assert e.incident in first and e.at > first[e.incident]
    changes = [e for e in events if isinstance(e, synth.StatusChange)]
    assert {c.status for c in changes} == {"in_progress", "closed"}
    assert {c.closure_reason for c in changes if c.status == "closed"} == {
        "resolved", "invalid", "no_action", "referred"}


def test_required_attributes_are_always_sent_and_apps_name_the_asset() -> None:
    events = synth.generate(_places(), seed=3, reports=800, now=NOW)
    reports = [e for e in events if isinstance(e, synth.Report)]
    for kind in synth.KINDS:
        required = {code for code, _, always in kind.attributes if always}
        for r in (r for r in reports if r.service_code == kind.service_code):
            assert required <= set(r.attributes)
    named = [r for r in reports if r.asset_id]
    assert named and all(r.channel == "app" for r in named)


def test_kinds_without_places_are_left_out_and_no_places_is_an_error() -> None:
    only_lights = {"streetlight": _places()["streetlight"]}
    events = synth.generate(only_lights, seed=4, reports=100, now=NOW)
    services = {e.service_code for e in events if isinstance(e, synth.Report)}
    assert services == {k.service_code for k in synth.KINDS if k.place == "streetlight"}
    with pytest.raises(ValueError, match="no places"):
        synth.generate({}, seed=4, reports=10, now=NOW)
