"""Query parameters of GET requests, read leniently the way real clients send them.

Datetimes are W3C (``2010-01-01T00:00:00Z``, ``...-05:00``); a space for the ``T``, fractions of
a second, a bare date (midnight UTC) and no offset (UTC) are accepted too, as is an offset whose
``+`` arrived as a space because the client did not percent-encode it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gis311.errors import ApiError

DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFAULT_RADIUS_M = 500.0
MAX_RADIUS_M = 50_000.0
STATUSES = ("open", "closed")
_UNENCODED_PLUS = re.compile(r"^(.*[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def bad(detail: str) -> ApiError:
    """A 400 naming the parameter and what is wrong with it."""
    return ApiError(detail, status=400)


def csv(value: str | None) -> list[str]:
    """The items of a comma list, blanks dropped."""
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def w3c(name: str, value: str) -> datetime:
    """A W3C datetime parameter as an aware datetime."""
    text = value.strip()
    match = _UNENCODED_PLUS.match(text)
    if match:
        text = f"{match.group(1)}+{match.group(2)}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise bad(f"{name} must be a W3C datetime such as 2010-01-01T00:00:00Z, "
                  f"not {value!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def number(name: str, value: str) -> float:
    """A finite number parameter."""
    try:
        parsed = float(value)
    except ValueError:
        raise bad(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(parsed):
        raise bad(f"{name} must be a finite number")
    return parsed


def integer(name: str, value: str, low: int, high: int) -> int:
    """An integer parameter within [low, high]."""
    try:
        parsed = int(value)
    except ValueError:
        raise bad(f"{name} must be an integer, not {value!r}") from None
    if not low <= parsed <= high:
        raise bad(f"{name} must be from {low} to {high}")
    return parsed


def flag(name: str, value: str | None) -> bool:
    """A boolean parameter: true/1/yes or false/0/no (absent or empty: false)."""
    text = (value or "").strip().lower()
    if text in ("", "false", "0", "no"):
        return False
    if text in ("true", "1", "yes"):
        return True
    raise bad(f"{name} must be true or false, not {value!r}")


@dataclass(frozen=True)
class RequestQuery:
    """What GET requests asks for, checked."""

    ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float, float] | None = None  # lon, lat, radius in metres
    extensions: bool = False
    limit: int = MAX_RESULTS
    offset: int = 0


def _bbox(value: str) -> tuple[float, float, float, float]:
    parts = value.split(",")
    if len(parts) != 4:
        raise bad("bbox must be minlon,minlat,maxlon,maxlat")
    minx, miny, maxx, maxy = (number("bbox", p) for p in parts)
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise bad("bbox must be minlon,minlat,maxlon,maxlat with min <= max, longitudes in "
                  "-180..180 and latitudes in -90..90")
    return (minx, miny, maxx, maxy)


def _near(params: Mapping[str, str]) -> tuple[float, float, float] | None:
    lat, lon, radius = params.get("lat"), params.get("long"), params.get("radius")
    if not lat and not lon:
        if radius:
            raise bad("radius needs lat and long")
        return None
    if not lat or not lon:
        raise bad("lat and long go together")
    lat_v, lon_v = number("lat", lat), number("long", lon)
    if abs(lat_v) > 85.0511 or abs(lon_v) > 180:
        raise bad("lat must be within -85.0511..85.0511 and long within -180..180")
    radius_v = number("radius", radius) if radius else DEFAULT_RADIUS_M
    if not 0 < radius_v <= MAX_RADIUS_M:
        raise bad(f"radius must be more than 0 and at most {MAX_RADIUS_M:g} metres")
    return (lon_v, lat_v, radius_v)


def request_query(params: Mapping[str, str], now: datetime) -> RequestQuery:
    """Read GET requests' parameters; ApiError (400) names the first bad one.

    Without any date parameter the window is the last 90 days. Without ``page`` and
    ``page_size`` the answer holds at most 1000 requests (the spec's default); with either,
    pages of ``page_size`` (default 50, at most 500).
    """
    statuses = csv(params.get("status"))
    unknown = sorted(set(statuses) - set(STATUSES))
    if unknown:
        raise bad(f"status must be open and/or closed, not {', '.join(unknown)}")
    dates = {
        name: w3c(name, params[name]) if params.get(name, "").strip() else None
        for name in ("start_date", "end_date", "updated_after", "updated_before")
    }
    if not any(dates.values()):
        dates["start_date"] = now - DEFAULT_WINDOW
    page, page_size = params.get("page", "").strip(), params.get("page_size", "").strip()
    limit, offset = MAX_RESULTS, 0
    if page or page_size:
        limit = integer("page_size", page_size, 1, MAX_PAGE_SIZE) if page_size else (
            DEFAULT_PAGE_SIZE)
        offset = (integer("page", page, 1, 10_000_000) - 1) * limit if page else 0
    bbox = params.get("bbox", "").strip()
    return RequestQuery(
        ids=csv(params.get("service_request_id")),
        service_codes=csv(params.get("service_code")),
        statuses=statuses,
        start=dates["start_date"],
        end=dates["end_date"],
        updated_after=dates["updated_after"],
        updated_before=dates["updated_before"],
        bbox=_bbox(bbox) if bbox else None,
        near=_near(params),
        extensions=flag("extensions", params.get("extensions")),
        limit=limit,
        offset=offset,
    )
