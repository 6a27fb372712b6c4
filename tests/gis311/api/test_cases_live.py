"""Idempotent intake against a real server with two worker processes."""

from __future__ import annotations

import threading

import httpx
import psycopg

from tests.conftest import api_key, bearer, forget_keys
from tests.registry import city

TWINS = 16


def _simultaneously(base: str, headers: dict[str, str], body: dict) -> list[httpx.Response]:
    barrier = threading.Barrier(TWINS)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            barrier.wait()
            response = client.post("/api/v1/cases", json=body, headers=headers)
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=send) for _ in range(TWINS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return responses


def test_sixteen_twins_file_one_case_with_one_outbox_event(
    live_server: str, committed_city: str
) -> None:
    body = {"service_code": "pothole", "lat": city.CENTRE[1], "lon": city.CENTRE[0],
            "description": "same request sixteen times"}
    with psycopg.connect(committed_city) as conn:
        field_app, other_app = api_key(conn, "reporter_app"), api_key(conn, "reporter_app")
    headers = {"Idempotency-Key": "twins-1", **bearer(field_app)}
    responses = _simultaneously(live_server, headers, body)
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    with psycopg.connect(committed_city) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM registry.service_case), "
            "(SELECT count(*) FROM registry.outbox)"
        ).fetchone()
    assert counts == (1, 1)

    with httpx.Client(base_url=live_server) as client:
        other_body = client.post("/api/v1/cases", json={**body, "description": "changed"},
                                 headers=headers)
        assert other_body.status_code == 422
        other_client = client.post("/api/v1/cases", json=body,
                                   headers={**headers, **bearer(other_app)})
        assert other_client.status_code == 201
        assert other_client.json()["number"] != responses[0].json()["number"]
    with psycopg.connect(committed_city) as conn:
        forget_keys(conn, field_app, other_app)
