"""Simultaneous reports of one spot make exactly one parent (real commits, real threads)."""

from __future__ import annotations

import random
import threading

import psycopg
from pyproj import Transformer

from registry.intake import CaseReport, file_case
from tests.registry import city

REPORTERS = 12
ROUNDS = 60
LOCK_CELL_M = 4 * 25.0  # 20_file_case.sql: cells are 4 radii wide (pothole radius 25 m)


def _storm(url: str, service: str, spots: list[tuple[float, float]], rng: random.Random) -> None:
    """File REPORTERS reports within 8 m of each spot at once, one spot after the other."""
    connections = [psycopg.connect(url) for _ in range(REPORTERS)]
    try:
        for spot in spots:
            barrier = threading.Barrier(REPORTERS)
            points = [
                city.offset(*spot, rng.uniform(-5.6, 5.6), rng.uniform(-5.6, 5.6))
                for _ in range(REPORTERS)
            ]
            errors: list[BaseException] = []

            def reporter(
                conn: psycopg.Connection, point: tuple[float, float],
                barrier: threading.Barrier = barrier, errors: list[BaseException] = errors,
            ) -> None:
                try:
                    barrier.wait()
                    file_case(conn, CaseReport(service_code=service, lon=point[0], lat=point[1]))
                    conn.commit()
                except BaseException as exc:  # reported after the join
                    errors.append(exc)
                    conn.rollback()

            threads = [
                threading.Thread(target=reporter, args=(c, p))
                for c, p in zip(connections, points, strict=True)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors, errors
    finally:
        for conn in connections:
            conn.close()


def _parents_per_spot(url: str, service: str) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT count(*) FILTER (WHERE parent_id IS NULL), count(*), "
            "sum(duplicate_count) FILTER (WHERE parent_id IS NULL) "
            "FROM registry.service_case WHERE service_code = %s "
            "GROUP BY round(ST_X(geom_3857) / 50), round(ST_Y(geom_3857) / 50)",
            (service,),
        ).fetchall()
    for parents, total, counted in rows:
        assert total == REPORTERS
        assert counted == REPORTERS - parents
    return [int(r[0]) for r in rows]


def test_twelve_simultaneous_reports_make_one_parent_every_round(committed_city: str) -> None:
    spots = [
        city.offset(-71.119, 42.361, 150 * (i % 8) + 20, 150 * (i // 8) + 20)
        for i in range(ROUNDS)
    ]
    _storm(committed_city, "pothole", spots, random.Random(1))
    assert _parents_per_spot(committed_city, "pothole") == [1] * ROUNDS


def test_reports_around_a_lock_grid_corner_make_one_parent(committed_city: str) -> None:
    to_3857 = Transformer.from_crs(4326, 3857, always_xy=True)
    to_4326 = Transformer.from_crs(3857, 4326, always_xy=True)
    spots = []
    for i in range(20):
        x, y = to_3857.transform(*city.offset(-71.118, 42.362, 200 * (i % 5), 200 * (i // 5)))
        corner = (round(x / LOCK_CELL_M) * LOCK_CELL_M, round(y / LOCK_CELL_M) * LOCK_CELL_M)
        spots.append(to_4326.transform(*corner))
    _storm(committed_city, "pothole", spots, random.Random(2))
    assert _parents_per_spot(committed_city, "pothole") == [1] * len(spots)


def test_simultaneous_reports_of_one_asset_make_one_parent(committed_city: str) -> None:
    _storm(committed_city, "streetlight_out", [city.STREETLIGHTS["SL-1"]] * 5, random.Random(3))
    with psycopg.connect(committed_city) as conn:
        rows = conn.execute(
            "SELECT count(*) FILTER (WHERE parent_id IS NULL), count(*) "
            "FROM registry.service_case WHERE service_code = 'streetlight_out'"
        ).fetchone()
    assert rows == (1, 5 * REPORTERS)
