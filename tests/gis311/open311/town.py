"""The synthetic city of tests/registry/city.py, made ready for Open311.

It adds Open311 attributes to the services (every datatype), a police_district layer over both
wards, a road_segment asset type with two street segments that carry address ranges (one with
the catalog's attribute names, one with the raw Cambridge centerline fields), a service without
attributes, and API keys. Reporter fields with markers that no GET may ever show.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.types.json import Jsonb

from gis311 import keys
from tests.registry import city

LON, LAT = city.CENTRE
JURISDICTION = "gis311"

# Test Street runs west to east along lat 42.37 through ward 1: odd numbers 1..99 on the
# left, even 2..100 on the right. Main St runs north along lon -71.09 in ward 2, 100..198.
TEST_STREET = ((-71.1150, 42.3700), (-71.1050, 42.3700))
MAIN_STREET = ((-71.0900, 42.3650), (-71.0900, 42.3750))

LIGHT_STATE = {
    "code": "light_state", "datatype": "singlevaluelist", "required": True, "order": 1,
    "description": "What is the light doing?", "datatype_description": "", "variable": True,
    "values": [{"key": "out", "name": "Completely out"},
               {"key": "flickering", "name": "Flickering"}],
}
POLE_NUMBER = {
    "code": "pole_number", "datatype": "string", "required": False, "order": 2,
    "description": "The number on the pole's tag", "datatype_description": "", "variable": True,
    "values": [],
}
HAZARDS = {
    "code": "hazards", "datatype": "multivaluelist", "required": False, "order": 1,
    "description": "Who is in danger?", "datatype_description": "", "variable": True,
    "values": [{"key": "bikes", "name": "Cyclists"}, {"key": "cars", "name": "Drivers"},
               {"key": "walkers", "name": "Pedestrians"}],
}
GRAFFITI_ATTRIBUTES = [
    {"code": "seen_at", "datatype": "datetime", "required": False, "order": 1,
     "description": "When did you see it?", "datatype_description": "", "variable": True,
     "values": []},
    {"code": "area_m2", "datatype": "number", "required": False, "order": 2,
     "description": "About how big, in square metres?", "datatype_description": "",
     "variable": True, "values": []},
    {"code": "details", "datatype": "text", "required": False, "order": 3,
     "description": "Anything else", "datatype_description": "", "variable": True,
     "values": []},
    {"code": "note", "datatype": "text", "required": False, "order": 4,
     "description": "Please do not write phone numbers here.", "datatype_description": "",
     "variable": False, "values": []},
]

REPORTER = {
    "email": "ada.private@example.org",
    "first_name": "Adaprivate",
    "last_name": "Lovelaceprivate",
    "phone": "+1-617-555-0199",
    "device_id": "device-private-7781",
    "account_id": "account-private-4242",
}


@dataclass(frozen=True)
class Keys:
    """The keys of the town: one that may file, one that may not, one revoked."""

    reporter: str
    reporter_id: int
    crew: str
    revoked: str


def build(conn: psycopg.Connection) -> Keys:
    """Build the town in the caller's transaction (commit it for a live server)."""
    city.build(conn)
    conn.execute(
        "UPDATE registry.service SET attributes = %s, \"group\" = 'Streets', "
        "keywords = '{light,dark}', description = 'A streetlight is out.' "
        "WHERE code = 'streetlight_out'",
        (Jsonb([POLE_NUMBER, LIGHT_STATE]),),
    )
    conn.execute(
        "INSERT INTO registry.asset_type (code, name, department, geometry_kind, "
        "snap_radius_m) VALUES ('road_segment', 'Street segment', 'Public Works', 'line', 20)"
    )
    conn.execute(
        "UPDATE registry.service SET attributes = %s, asset_types = '{road_segment}', "
        "\"group\" = 'Streets' WHERE code = 'pothole'",
        (Jsonb([HAZARDS]),),
    )
    conn.execute(
        "UPDATE registry.service SET attributes = %s, \"group\" = 'Clean city' "
        "WHERE code = 'graffiti'",
        (Jsonb(GRAFFITI_ATTRIBUTES),),
    )
    conn.execute(
        "INSERT INTO registry.service (code, name, description, \"group\") VALUES "
        "('noise', 'Noise', 'Loud noise at night.', 'Quality of life')"
    )
    segments = (
        ("SEG-TEST-1", TEST_STREET, {"street": "Test St", "left_from": 1, "left_to": 99,
                                     "right_from": 2, "right_to": 100}),
        ("SEG-MAIN-1", MAIN_STREET, {"Street_Name": "Main", "Street_Type": "St", "L_From": 101,
                                     "L_To": 199, "R_From": 100, "R_To": 198}),
    )
    for asset_id, ((x1, y1), (x2, y2)), attributes in segments:
        conn.execute(
            "INSERT INTO registry.asset (asset_id, type_code, geom, attributes) VALUES "
            "(%s, 'road_segment', ST_MakeLine(ST_SetSRID(ST_MakePoint(%s, %s), 4326), "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)), %s)",
            (asset_id, x1, y1, x2, y2, Jsonb(attributes)),
        )
    _police_districts(conn)
    reporter = keys.create(conn, role="reporter_app", name="FixMyStreet")
    crew = keys.create(conn, role="crew", departments=["Public Works"], name="crew tablet")
    revoked = keys.create(conn, role="reporter_app", name="old app")
    keys.revoke(conn, revoked.info.id)
    return Keys(reporter=reporter.key, reporter_id=reporter.info.id, crew=crew.key,
                revoked=revoked.key)


def _police_districts(conn: psycopg.Connection) -> None:
    conn.execute("INSERT INTO boundaries.layer (code, name, kind) VALUES "
                  "('police_district', 'Police districts', 'police_district')")
    version = conn.execute(
        "INSERT INTO boundaries.version (layer_id, label, source_name, source_sha256) "
        "SELECT id, '2019', 'town.py', repeat('b', 64) FROM boundaries.layer "
        "WHERE code = 'police_district' RETURNING id"
    ).fetchone()
    assert version is not None
    feature = conn.execute(
        "INSERT INTO boundaries.feature (version_id, code, name, geom) VALUES "
        "(%s, 'D14', 'District 14', ST_Multi(ST_MakeEnvelope(-71.12, 42.36, -71.08, 42.38, "
        "4326))) RETURNING id",
        (version[0],),
    ).fetchone()
    assert feature is not None
    conn.execute(
        "INSERT INTO boundaries.feature_part (feature_id, version_id, geom) "
        "SELECT id, version_id, (ST_Dump(geom)).geom FROM boundaries.feature WHERE id = %s",
        (feature[0],),
    )


def clear(conn: psycopg.Connection) -> None:
    """Remove the town and the cases filed in it, and every API key."""
    city.clear(conn)
    conn.execute("DELETE FROM gis311.api_key")
