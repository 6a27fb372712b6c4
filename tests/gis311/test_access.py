"""Roles: every route of the OpenAPI document, walked for every role with objects in and out of
its scope, must not leak a field or a row the role may not see (tiles and Open311 included);
and each role may write only what it may.

The world: case A (pothole, Streets department, ward 1) and case B (streetlight out,
Electrical department, ward 2), each with a reporter's contact and an internal note.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import mapbox_vector_tile
import psycopg
import pytest
from fastapi.testclient import TestClient

from gis311 import access
from gis311.app import create_app
from gis311.keys import Principal
from gis311.settings import Settings
from registry.cases import EVERYTHING, PUBLIC, update_case
from registry.intake import CaseReport, Contact, file_case
from tests.conftest import api_key, bearer, forget_keys
from tests.registry import city

ROLES = ("public", "reporter_app", "staff", "crew", "councilor", "admin")
SECRETS = {
    "A": {"contact": "ada-secret@example.org", "note": "note-secret-A"},
    "B": {"contact": "bob-secret@example.org", "note": "note-secret-B"},
}
# Which case each role may see, and which of its secrets.
SEES: dict[str, dict[str, tuple[str, ...]]] = {
    "public": {"A": (), "B": ()},
    "reporter_app": {"A": (), "B": ()},
    "staff": {"A": ("contact", "note")},
    "crew": {"A": ("note",)},
    "councilor": {"A": ("note",)},
    "admin": {"A": ("contact", "note"), "B": ("contact", "note")},
}


@dataclass
class World:
    url: str
    numbers: dict[str, str]
    keys: dict[str, str]
    subscription: int


def _tile(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    return (z, int((lon + 180) / 360 * n),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))


@pytest.fixture(scope="module")
def world(database_url: str) -> Iterator[World]:
    with psycopg.connect(database_url) as conn:
        city.build(conn)
        conn.execute("UPDATE registry.service SET department = 'Streets' "
                     "WHERE code IN ('pothole', 'graffiti')")
        conn.execute("UPDATE registry.service SET department = 'Electrical' "
                     "WHERE code = 'streetlight_out'")
        numbers = {}
        for name, service, (lon, lat) in (("A", "pothole", city.CENTRE),
                                          ("B", "streetlight_out", city.WARD2_CENTRE)):
            numbers[name] = file_case(conn, CaseReport(
                service_code=service, lon=lon, lat=lat,
                contact=Contact(email=SECRETS[name]["contact"], phone="555-0199"),
            )).number
            update_case(conn, numbers[name], actor="staff", internal_note=SECRETS[name]["note"])
        keys = {
            "reporter_app": api_key(conn, "reporter_app"),
            "staff": api_key(conn, "staff", departments=["Streets"]),
            "crew": api_key(conn, "crew", departments=["Streets"]),
            "councilor": api_key(conn, "councilor", districts=["ward:1"]),
            "admin": api_key(conn, "admin"),
        }
        row = conn.execute(
            "INSERT INTO gis311.subscription (layer, code, channel, url, secret) "
            "VALUES ('ward', '2', 'webhook', 'http://127.0.0.1:9/hook', 'shh') RETURNING id"
        ).fetchone()
        assert row is not None
        conn.commit()
    try:
        yield World(database_url, numbers, keys, int(row[0]))
    finally:
        with psycopg.connect(database_url) as conn:
            conn.execute("DELETE FROM gis311.subscription WHERE id = %s", (row[0],))
            city.clear(conn)
            forget_keys(conn, *keys.values())


@pytest.fixture(scope="module")
def app_client(world: World) -> Iterator[TestClient]:
    settings = Settings(database_url=world.url, db_pool_min_size=1, jurisdiction_layer="ward")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _headers(world: World, role: str) -> dict[str, str]:
    return {} if role == "public" else bearer(world.keys[role])


def _fill(path: str, world: World) -> list[str]:
    """Concrete URLs for a templated OpenAPI path: one per fixture object it can name."""
    z, x, y = _tile(*city.CENTRE, 13)
    values: dict[str, list[str]] = {
        "number": list(world.numbers.values()),
        "service_request_id": [f"{n}.{f}" for n in world.numbers.values() for f in ("json", "xml")],
        "token": list(world.numbers.values()),
        "service_code": ["pothole.json", "streetlight_out.xml"],
        "asset_id": ["SL-1"],
        "code": ["streetlight"] if path.startswith("/api/v1/asset-types") else ["1"],
        "layer": (["ward"] if "boundaries" in path else ["cases", "assets"]),
        "subscription_id": [str(world.subscription)],
        "delivery_pk": ["1"],
        "folder": ["ab"], "name": ["missing.jpg"],
        "z": [str(z)], "x": [str(x)], "y": [str(y)],
    }
    urls = [path]
    for name in re.findall(r"\{(\w+)(?::\w+)?\}", path):
        if name not in values:
            pytest.fail(f"no fixture value for path parameter {name!r} of {path}: add one")
        urls = [u.replace(re.search(r"\{" + name + r"(?::\w+)?\}", u).group(0), v)  # type: ignore[union-attr]
                for u in urls for v in values[name]]
    query = {
        "/api/v1/boundaries/lookup": f"lat={city.CENTRE[1]}&lon={city.CENTRE[0]}",
        "/api/v1/assets/nearest": f"lat={city.CENTRE[1]}&lon={city.CENTRE[0]}",
    }.get(path)
    if path.endswith("/requests.json") or path.endswith("/requests.xml") or (
        "service_request_id" in path):
        query = "extensions=true"
    return [f"{u}?{query}" if query else u for u in urls]


def _text(response: Any) -> str:
    if response.headers.get("content-type", "").startswith("application/vnd.mapbox-vector-tile"):
        return json.dumps(mapbox_vector_tile.decode(response.content), default=str)
    return str(response.text)


def _get_routes(client: TestClient) -> list[str]:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    return sorted(p for p, ops in spec["paths"].items() if "get" in ops)


@pytest.mark.parametrize("role", ROLES)
def test_no_route_leaks_a_row_or_field_the_role_may_not_see(
    app_client: TestClient, world: World, role: str
) -> None:
    headers = _headers(world, role)
    allowed = SEES[role]
    checked = 0
    for path in _get_routes(app_client):
        for url in _fill(path, world):
            response = app_client.get(url, headers=headers)
            assert response.status_code < 500, (role, url, response.text)
            text = _text(response)
            for case, number in world.numbers.items():
                # An error answer may echo the number the URL asked for; it reveals nothing.
                if case not in allowed and response.status_code < 400:
                    assert number not in text, f"{role} sees case {case} at {url}"
                for secret, value in SECRETS[case].items():
                    if secret not in allowed.get(case, ()):
                        assert value not in text, f"{role} sees {case}'s {secret} at {url}"
            assert "555-0199" not in text or "contact" in allowed.get("A", ()), (role, url)
            checked += 1
    assert checked > 40


@pytest.mark.parametrize("role", ROLES)
def test_a_case_out_of_scope_answers_404_like_a_missing_one(
    app_client: TestClient, world: World, role: str
) -> None:
    headers = _headers(world, role)
    for case, number in world.numbers.items():
        response = app_client.get(f"/api/v1/cases/{number}", headers=headers)
        assert response.status_code == (200 if case in SEES[role] else 404), (role, case)
    assert app_client.get("/api/v1/cases/26-99999999", headers=headers).status_code == 404


def test_the_councilors_lists_and_tiles_hold_only_its_districts(
    app_client: TestClient, world: World
) -> None:
    headers = _headers(world, "councilor")
    listed = app_client.get("/api/v1/cases?status=open,in_progress,closed", headers=headers)
    assert [c["number"] for c in listed.json()["cases"]] == [world.numbers["A"]]
    open311 = app_client.get(f"/open311/v2/requests.json?api_key={world.keys['councilor']}")
    assert [r["service_request_id"] for r in open311.json()] == [world.numbers["A"]]
    public = app_client.get("/open311/v2/requests.json").json()
    assert {r["service_request_id"] for r in public} == set(world.numbers.values())


@pytest.mark.parametrize(
    ("principal", "scope"),
    [
        (None, PUBLIC),
        (Principal(1, "reporter_app"), PUBLIC),
        (Principal(2, "admin"), EVERYTHING),
    ],
)
def test_case_scope_of_open_roles(principal: Principal | None, scope: object) -> None:
    assert access.case_scope(principal) == scope


def test_scoped_roles_get_their_departments_or_districts() -> None:
    staff = access.case_scope(Principal(1, "staff", departments=("Streets",)))
    assert staff.departments == ("Streets",) and staff.view == "full"
    crew = access.case_scope(Principal(1, "crew", departments=("Streets",)))
    assert crew.view == "internal"
    councilor = access.case_scope(Principal(1, "councilor", districts=("ward:1",)))
    assert councilor.districts == ("ward:1",) and councilor.view == "internal"
