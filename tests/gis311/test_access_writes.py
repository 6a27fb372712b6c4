"""Roles: each role may write only what it may (the read side is in test_access.py)."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient

from registry.intake import CaseReport, file_case
from tests.conftest import api_key, bearer
from tests.registry import city

ROLES = ("public", "reporter_app", "staff", "crew", "councilor", "admin")


WRITE_RULES = {
    # role: (file a case, change A, change B, link/split A)
    "public": (401, 401, 401, 401),
    "reporter_app": (201, 403, 403, 403),
    "staff": (201, 200, 404, 200),
    "crew": (403, 200, 404, 403),
    "councilor": (403, 403, 404, 403),
    "admin": (201, 200, 200, 200),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_writes_only_what_it_may(
    client: TestClient, db: psycopg.Connection, role: str
) -> None:
    city.build(db)
    db.execute("UPDATE registry.service SET department = 'Streets' WHERE code = 'pothole'")
    db.execute("UPDATE registry.service SET department = 'Electrical' "
               "WHERE code = 'streetlight_out'")
    a = file_case(db, CaseReport(service_code="pothole", lon=city.CENTRE[0],
                                 lat=city.CENTRE[1])).number
    b = file_case(db, CaseReport(service_code="streetlight_out", lon=city.WARD2_CENTRE[0],
                                 lat=city.WARD2_CENTRE[1])).number
    a_repeat = file_case(db, CaseReport(service_code="pothole", lon=city.CENTRE[0],
                                        lat=city.CENTRE[1])).number
    keys = {
        "reporter_app": api_key(db, "reporter_app"),
        "staff": api_key(db, "staff", departments=["Streets"]),
        "crew": api_key(db, "crew", departments=["Streets"]),
        "councilor": api_key(db, "councilor", districts=["ward:1"]),
        "admin": api_key(db, "admin"),
    }
    headers = {} if role == "public" else bearer(keys[role])
    expected = WRITE_RULES[role]
    filed = client.post("/api/v1/cases", headers=headers, json={
        "service_code": "graffiti", "lat": city.CENTRE[1], "lon": city.CENTRE[0]})
    change_a = client.patch(f"/api/v1/cases/{a}", headers=headers, json={"note": "seen"})
    change_b = client.patch(f"/api/v1/cases/{b}", headers=headers, json={"note": "seen"})
    split = client.post(f"/api/v1/cases/{a_repeat}/split", headers=headers, json={})
    got = (filed.status_code, change_a.status_code, change_b.status_code, split.status_code)
    assert got == expected, (role, filed.text, change_a.text, change_b.text, split.text)
