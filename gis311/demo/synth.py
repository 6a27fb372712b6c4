"""Synthetic 311 reports for the demo city, drawn deterministically from a seed.

The generator thinks in incidents: a dark streetlight, a pothole, a leaking hydrant. Each has a
start, a place and one report or several (neighbours call about the same dark light over a few
days; a knocked-down pole or a dark signal draws calls within the hour), and a life: a crew takes
it on and fixes it, or it is closed as invalid, needing no action or referred, or it waits in the
backlog; recent ones are still open. The result is a time-ordered list of reports and status
changes that ``gis311.demo.replay`` feeds to the real intake pipeline and case lifecycle, so the
pipeline's own rules decide which reports fold into which parent.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from registry.intake import Contact


@dataclass(frozen=True)
class Place:
    """Where an incident can happen: an asset (a point along it for a street segment)."""

    asset_id: str
    type_code: str
    lon: float
    lat: float
    label: str | None = None


@dataclass(frozen=True)
class Kind:
    """How one kind of incident behaves."""

    service_code: str
    place: str  # asset type code of the places it happens at
    weight: float  # relative share of incidents
    extra_reports: float  # mean number of repeat reports
    repeat_hours: float  # mean hours between two reports of one incident
    fix_hours: float  # typical hours from the first report to the fix
    on_asset: bool  # about the asset itself; else about a spot next to it (sidewalk, wall)
    jitter_m: float  # how far apart callers place the same problem
    descriptions: tuple[str, ...]
    # (attribute code, choices drawn from, always sent)
    attributes: tuple[tuple[str, tuple[str, ...], bool], ...] = ()


KINDS: tuple[Kind, ...] = (
    Kind("streetlight_out", "streetlight", 24, 1.0, 30, 60, True, 4, (
        "Streetlight out", "The light on this pole has been dark for days",
        "Light flickering on and off all night", "Street is very dark, the lamp is not working",
    ), (("light_state", ("out", "out", "out", "flickering", "day_burning"), True),)),
    Kind("streetlight_knockdown", "streetlight", 1.5, 2.0, 0.5, 6, True, 3, (
        "Car hit the light pole", "Streetlight pole leaning over the sidewalk",
        "Pole knocked down, wires exposed",
    )),
    Kind("pothole", "road_segment", 24, 0.8, 40, 72, True, 3, (
        "Pothole", "Deep pothole, cars swerving around it", "Pothole in the bike lane",
        "Big hole near the crosswalk",
    ), (("size", ("small", "medium", "medium", "large"), False),
        ("position", ("travel_lane", "travel_lane", "bike_lane", "crosswalk", "curb"), False))),
    Kind("hydrant_leak", "hydrant", 4, 1.2, 8, 20, True, 3, (
        "Hydrant leaking", "Water running from the hydrant onto the street",
        "Hydrant dripping for a week",
    ), (("leak_rate", ("drip", "drip", "steady", "gushing"), True),)),
    Kind("hydrant_damaged", "hydrant", 2, 0.3, 24, 90, True, 3, (
        "Hydrant cap missing", "Hydrant hit by a truck", "Hydrant blocked by a fence",
    )),
    Kind("traffic_signal_out", "traffic_signal", 5, 2.0, 1.5, 4, True, 6, (
        "Signal dark at the intersection", "Lights stuck on red", "Signal flashing yellow",
        "Walk signal never comes on",
    ), (("signal_state", ("dark", "flashing", "stuck", "timing"), True),)),
    Kind("utility_pole_damaged", "utility_pole", 3, 0.4, 48, 200, True, 3, (
        "Utility pole leaning", "Wire hanging low from the pole", "Pole cracked at the base",
    )),
    Kind("sidewalk_repair", "streetlight", 10, 0.3, 96, 500, False, 2, (
        "Raised sidewalk slab, trip hazard", "Broken bricks on the sidewalk",
        "Sidewalk sunken by the tree",
    )),
    Kind("graffiti", "streetlight", 12, 0.4, 48, 120, False, 2, (
        "Graffiti on the wall", "Tag sprayed on the mailbox", "Graffiti on the street sign",
    ), (("surface", ("building", "building", "sign", "sidewalk", "other"), False),
        ("offensive", ("no", "no", "no", "yes"), False))),
)

CHANNELS = (("phone", 35), ("app", 30), ("web", 25), ("email", 5), ("walk_in", 5))
# Relative number of reports filed in each hour of the day (local time does not matter here:
# the shape only has to make nights quieter than days).
HOURS = (1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 9, 9, 9, 9, 9, 8, 7, 6, 5, 4, 3, 2)
# (closure, share of incidents): the rest are fixed, except the backlog that waits.
QUICK_CLOSES = (("invalid", 0.05), ("no_action", 0.05), ("referred", 0.03))
BACKLOG = 0.15
# Share of fixed incidents whose case goes straight from open to closed (a quick fix).
STRAIGHT_TO_FIXED = 0.4
STATUS_NOTES = {
    "in_progress": "Assigned to a crew",
    "resolved": "Fixed",
    "invalid": "Could not find the problem at this location",
    "no_action": "Inspected: no action needed",
    "referred": "Referred to the utility that owns it",
}
MAX_EXTRA = 12


@dataclass(frozen=True)
class Report:
    """A report to file at ``at`` (an incident's first report or a repeat)."""

    at: datetime
    incident: int
    service_code: str
    lon: float
    lat: float
    place: tuple[float, float]  # the asset's own location: inside the city for sure
    channel: str
    description: str
    address: str | None = None
    asset_id: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    contact: Contact | None = None


@dataclass(frozen=True)
class StatusChange:
    """A status change of an incident's case at ``at``."""

    at: datetime
    incident: int
    status: str
    closure_reason: str | None
    note: str


Event = Report | StatusChange


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point ``east_m`` metres east and ``north_m`` metres north of (lon, lat)."""
    return (lon + east_m / (111_320.0 * math.cos(math.radians(lat))),
            lat + north_m / 111_132.0)


class _Draw:
    """The seeded random choices, one stream per generator run."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def weighted(self, items: Sequence[tuple[Any, float]]) -> Any:
        return self.rng.choices([i for i, _ in items], [w for _, w in items])[0]

    def near(self, lon: float, lat: float, radius_m: float) -> tuple[float, float]:
        angle = self.rng.uniform(0, 2 * math.pi)
        distance = radius_m * math.sqrt(self.rng.random())
        return offset(lon, lat, distance * math.cos(angle), distance * math.sin(angle))

    def start(self, now: datetime, days: int) -> datetime:
        first = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
        while True:  # a day and an hour of it, drawn again when outside the window
            at = first + timedelta(days=self.rng.randrange(days + 1),
                                   hours=self.rng.choices(range(24), HOURS)[0],
                                   seconds=self.rng.randrange(3600))
            if now - timedelta(days=days) <= at < now:
                return at


def _report(draw: _Draw, kind: Kind, place: Place, number: int, at: datetime,
            spot: tuple[float, float]) -> Report:
    rng = draw.rng
    channel = draw.weighted(CHANNELS)
    lon, lat = draw.near(*spot, kind.jitter_m)
    attributes = {code: rng.choice(choices) for code, choices, always in kind.attributes
                  if always or rng.random() < 0.5}
    contact = None
    if rng.random() < 0.6:
        resident = rng.randrange(1, 5000)
        contact = Contact(
            name=f"Resident {resident}", email=f"resident{resident}@example.org",
            phone=f"617-555-01{resident % 100:02d}" if channel == "phone" else None,
        )
    address = place.label.title() if place.label else None
    return Report(
        at=at, incident=number, service_code=kind.service_code, lon=lon, lat=lat,
        place=(place.lon, place.lat), channel=channel,
        description=rng.choice(kind.descriptions), address=address,
        # An app shows the assets on its map and sends the one the resident tapped.
        asset_id=place.asset_id if kind.on_asset and channel == "app" else None,
        attributes=attributes, contact=contact,
    )


def _life(draw: _Draw, kind: Kind, number: int, start: datetime) -> list[StatusChange]:
    rng = draw.rng
    hour = timedelta(hours=1)
    roll = rng.random()
    for reason, share in QUICK_CLOSES:
        if roll < share:
            at = start + hour * rng.uniform(1, 2 * max(kind.fix_hours, 24))
            return [StatusChange(at, number, "closed", reason, STATUS_NOTES[reason])]
        roll -= share
    if roll < BACKLOG:
        return []
    taken = start + hour * kind.fix_hours * rng.uniform(0.05, 0.5)
    fixed = max(start + hour * kind.fix_hours * rng.lognormvariate(0, 0.8), taken + hour)
    done = StatusChange(fixed, number, "closed", "resolved", STATUS_NOTES["resolved"])
    if rng.random() < STRAIGHT_TO_FIXED:
        return [done]
    return [StatusChange(taken, number, "in_progress", None, STATUS_NOTES["in_progress"]), done]


def generate(
    places: Mapping[str, Sequence[Place]], *, seed: int, reports: int, now: datetime,
    days: int = 90,
) -> list[Event]:
    """``reports`` reports over the ``days`` before ``now`` and the status changes of their
    incidents up to ``now``, in time order. Kinds whose places are missing are left out."""
    kinds = [k for k in KINDS if places.get(k.place)]
    if not kinds:
        raise ValueError("no places to report problems at: the city has no assets")
    draw = _Draw(seed)
    rng = draw.rng
    events: list[tuple[datetime, int, Event]] = []
    filed = 0
    number = 0
    while filed < reports:
        number += 1
        kind = draw.weighted([(k, k.weight) for k in kinds])
        place = rng.choice(places[kind.place])
        start = draw.start(now, days)
        spot = (place.lon, place.lat) if kind.on_asset else draw.near(place.lon, place.lat, 12)
        life = [c for c in _life(draw, kind, number, start) if c.at < now]
        end = min([c.at for c in life if c.status == "closed"] + [now])
        extra = 0
        while extra < MAX_EXTRA and rng.random() < kind.extra_reports / (1 + kind.extra_reports):
            extra += 1
        at = start
        for i in range(1 + extra):
            if i:
                at += timedelta(hours=rng.expovariate(1 / kind.repeat_hours))
            if at >= end or filed >= reports:
                break
            events.append((at, len(events), _report(draw, kind, place, number, at, spot)))
            filed += 1
        events += [(c.at, len(events) + j, c) for j, c in enumerate(life)]
    events.sort(key=lambda e: (e[0], e[1]))
    return [e for _, _, e in events]
