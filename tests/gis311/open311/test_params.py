"""Reading GET requests' parameters the way real clients send them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gis311.errors import ApiError
from gis311.open311 import params

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CHICAGO = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01T00:00:00Z", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-05-01T00:00:00-05:00", datetime(2026, 5, 1, tzinfo=CHICAGO)),
        ("2026-05-01T00:00:00 05:00", datetime(2026, 5, 1, tzinfo=timezone(timedelta(hours=5)))),
        ("2026-05-01 23:59:59.999999-05:00",
         datetime(2026, 5, 1, 23, 59, 59, 999999, tzinfo=CHICAGO)),
        ("2026-05-01T10:00:00", datetime(2026, 5, 1, 10, tzinfo=UTC)),
        ("2026-05-01", datetime(2026, 5, 1, tzinfo=UTC)),
    ],
)
def test_w3c_datetimes_are_read_leniently(text: str, expected: datetime) -> None:
    assert params.w3c("start_date", text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "2026-05-01T25:00:00Z", ""])
def test_w3c_refuses_what_is_no_datetime(text: str) -> None:
    with pytest.raises(ApiError, match="start_date must be a W3C datetime") as caught:
        params.w3c("start_date", text)
    assert caught.value.status == 400


def test_defaults_are_the_last_90_days_and_1000_results_or_pages_of_50() -> None:
    query = params.request_query({}, NOW)
    assert (query.start, query.end, query.limit, query.offset) == (
        NOW - timedelta(days=90), None, 1000, 0)
    assert params.request_query({"updated_after": "2026-01-01"}, NOW).start is None
    paged = params.request_query({"page": "3"}, NOW)
    assert (paged.limit, paged.offset) == (50, 100)
    sized = params.request_query({"page": "2", "page_size": "200"}, NOW)
    assert (sized.limit, sized.offset) == (200, 200)


def test_lists_places_and_flags() -> None:
    query = params.request_query({
        "service_request_id": "a, b,,", "service_code": "x,y", "status": "open,closed",
        "bbox": "-71.2,42.3,-71.0,42.4", "lat": "42.37", "long": "-71.11",
        "extensions": "true", "radius": "250",
    }, NOW)
    assert query.ids == ["a", "b"] and query.service_codes == ["x", "y"]
    assert query.statuses == ["open", "closed"]
    assert query.bbox == (-71.2, 42.3, -71.0, 42.4)
    assert query.near == (-71.11, 42.37, 250.0)
    assert query.extensions is True
    assert params.request_query({"lat": "42.37", "long": "-71.11"}, NOW).near == (
        -71.11, 42.37, params.DEFAULT_RADIUS_M)


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        ({"status": "in_progress"}, "status must be open and/or closed"),
        ({"page_size": "0"}, "page_size must be from 1 to 500"),
        ({"page_size": "ten"}, "page_size must be an integer"),
        ({"bbox": "1,2,3,nan"}, "bbox must be a finite number"),
        ({"bbox": "3,2,1,4"}, "min <= max"),
        ({"long": "-71"}, "lat and long go together"),
        ({"lat": "89", "long": "0"}, "lat must be within"),
        ({"lat": "42", "long": "-71", "radius": "0"}, "radius"),
        ({"extensions": "sure"}, "extensions must be true or false"),
    ],
)
def test_bad_parameters_are_400_naming_them(given: dict[str, str], needle: str) -> None:
    with pytest.raises(ApiError, match=needle) as caught:
        params.request_query(given, NOW)
    assert caught.value.status == 400
