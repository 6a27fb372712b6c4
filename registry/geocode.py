"""A small street-address geocoder over the registry's street segments.

``geocode(conn, "1340 Cambridge Street, Cambridge MA")`` finds the active line asset (a
road_segment) of that street whose left or right address range holds 1340 and interpolates the
point along it (``registry/sql/geocode.sql``). It knows house numbers on named streets, nothing
else: intersections, place names and unit numbers are refused as unresolvable.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import psycopg

from registry import sqlfiles
from registry.errors import InvalidInput

# Street types as residents write them -> as street centerlines abbreviate them (USPS style).
SUFFIXES = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd",
    "boulevard": "blvd", "drive": "dr", "place": "pl", "lane": "ln", "court": "ct",
    "terrace": "ter", "parkway": "pkwy", "square": "sq", "highway": "hwy", "circle": "cir",
    "way": "way", "park": "park", "row": "row", "alley": "aly", "plaza": "plz",
}
_ADDRESS = re.compile(r"^\s*(\d{1,9})[A-Za-z]?(?:-\d+)?\s+([^,]+?)\s*(?:,.*)?$")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


class AddressNotFound(InvalidInput):
    """The address cannot be read as a house number on a street, or no segment holds it."""


@dataclass(frozen=True)
class Geocoded:
    """Where an address lies, and the street segment it was found on."""

    lon: float
    lat: float
    asset_id: str


def normalise_street(name: str) -> str:
    """Lower case, punctuation gone, the street type abbreviated: "Mass. Avenue" -> "mass ave"."""
    words = _NOT_ALNUM.sub(" ", name.lower()).split()
    if len(words) > 1:
        words[-1] = SUFFIXES.get(words[-1], words[-1])
    return " ".join(words)


def parse(address: str) -> tuple[int, str]:
    """(house number, normalised street) of ``address``; AddressNotFound when it has neither."""
    match = _ADDRESS.match(address)
    street = normalise_street(match.group(2)) if match else ""
    if match is None or not street:
        raise AddressNotFound(
            f"address_string {address!r} is not a house number and a street (e.g. "
            "'1340 Cambridge St'); send lat and long instead"
        )
    return int(match.group(1)), street


def geocode(conn: psycopg.Connection, address: str) -> Geocoded:
    """The point of ``address`` on the registry's street segments; AddressNotFound if none."""
    number, street = parse(address)
    with conn.transaction():
        row = conn.execute(
            sqlfiles.text("geocode.sql"),
            {"street": street, "n": number, "suffixes": json.dumps(SUFFIXES)},
        ).fetchone()
    if row is None:
        raise AddressNotFound(
            f"address_string {address!r}: no street segment of {street!r} holds number "
            f"{number}; send lat and long instead"
        )
    return Geocoded(lon=float(row[1]), lat=float(row[2]), asset_id=str(row[0]))
