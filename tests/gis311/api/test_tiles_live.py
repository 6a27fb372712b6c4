"""Tile cache invalidation across server processes (two workers, change feed by NOTIFY)."""

from __future__ import annotations

import time

import httpx
import psycopg

from tests.conftest import api_key, bearer, forget_keys
from tests.gis311.api.test_tiles import tile_of
from tests.registry import city


def test_every_worker_serves_the_new_case_right_after_it_is_filed(
    live_server: str, committed_city: str
) -> None:
    spot = city.offset(*city.CENTRE, 120, 80)
    z, x, y = tile_of(*spot)
    url = f"/tiles/cases/{z}/{x}/{y}.mvt"
    with psycopg.connect(committed_city) as conn:
        app = api_key(conn, "reporter_app")
    with httpx.Client(base_url=live_server, timeout=10) as client:
        for _ in range(20):  # warm the caches of both workers
            assert client.get(url).status_code == 204
        number = client.post("/api/v1/cases", headers=bearer(app), json={
            "service_code": "pothole", "lat": spot[1], "lon": spot[0]}).json()["number"]
    with psycopg.connect(committed_city) as conn:
        forget_keys(conn, app)
    started = time.monotonic()
    for _ in range(20):
        with httpx.Client(base_url=live_server, timeout=10) as fresh:
            response = fresh.get(url)
        assert response.status_code == 200, (response.status_code, time.monotonic() - started)
        assert number.encode() in response.content
