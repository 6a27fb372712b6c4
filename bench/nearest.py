"""Nearest-asset lookups with 1,000,000 assets loaded (default).

Loads N generated streetlight-like points (default 1,000,000) and N/20 hydrant-like points into
a database of its own through the real import path (``importers.asset_file.import_assets``),
spread over a 20 km square, then runs Q random lookups (default 5,000) of three kinds through
``registry.nearest.nearest`` on a connection set up like the API pool's (no parallel query, no
JIT):

- snap:   the case intake call, nearest active light within 30 m (limit 1);
- crew:   the map app call, 10 nearest assets of any type, no radius;
- rare:   5 nearest of the sparser type within 250 m.

Two figures per kind: DB time, the server's own planning + execution time reported by
``EXPLAIN (ANALYZE, TIMING OFF)`` for the same statement and parameters; and the wall time of
the whole ``nearest()`` call (Unix socket round trip and rows turned into dataclasses).
Bar: p99 DB time < 5 ms.

    .venv/bin/python bench/nearest.py [--rows 1000000] [--queries 5000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.import_assets import BBOX, load_catalog, write_csv
from bench.support import bench_database
from importers.asset_file import import_assets
from registry.nearest import nearest, statement

KINDS: dict[str, dict[str, Any]] = {
    "snap": {"types": ["bench_light"], "radius_m": 30.0, "limit": 1},
    "crew": {"types": None, "radius_m": None, "limit": 10},
    "rare": {"types": ["bench_hydrant"], "radius_m": 250.0, "limit": 5},
}


def load(url: str, rows: int) -> None:
    """Generate and import the two point sets."""
    load_catalog(url)
    with tempfile.TemporaryDirectory(prefix="bench-nearest-") as folder, \
            psycopg.connect(url) as conn:
        for code, count, prefix in (("bench_light", rows, "BL"),
                                    ("bench_hydrant", max(rows // 20, 1), "BH")):
            path = Path(folder) / f"{code}.csv"
            write_csv(path, count, prefix=prefix, seed=hash(code) & 0xFFFF)
            started = time.perf_counter()
            import_assets(conn, path, type_code=code)
            conn.commit()
            print(f"loaded {count:,} {code} in {time.perf_counter() - started:.1f} s")
    with psycopg.connect(url, autocommit=True) as conn:
        # Also leaves autovacuum nothing to do, so it cannot hold the database when it is
        # dropped at the end.
        conn.execute("VACUUM ANALYZE registry.asset, registry.asset_history")


def explain_ms(conn: psycopg.Connection, lon: float, lat: float, kind: dict) -> float:
    """Planning + execution time (ms) the server reports for one nearest() statement."""
    query, params = statement(lon, lat, **kind)
    row = conn.execute(
        b"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + query.as_bytes(conn), params
    ).fetchone()
    assert row is not None
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return float(plan[0]["Planning Time"] + plan[0]["Execution Time"])


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run_kind(
    conn: psycopg.Connection, kind: dict, queries: int, rng: random.Random
) -> tuple[list[float], list[float], float]:
    """DB times and wall times (ms) of ``queries`` random lookups, and hits per lookup."""
    minx, miny, maxx, maxy = BBOX

    def point() -> tuple[float, float]:
        return rng.uniform(minx, maxx), rng.uniform(miny, maxy)

    for _ in range(200):  # warm the cache
        nearest(conn, *point(), **kind)
    db_ms = [explain_ms(conn, *point(), kind) for _ in range(queries)]
    wall_ms: list[float] = []
    found = 0
    for _ in range(queries):
        lon, lat = point()
        started = time.perf_counter()
        hits = nearest(conn, lon, lat, **kind)
        wall_ms.append((time.perf_counter() - started) * 1000)
        found += len(hits)
    return db_ms, wall_ms, found / queries


def main() -> None:
    """Load, warm up, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=5_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    worst = 0.0
    with bench_database("bench_nearest", keep=args.keep) as url:
        load(url, args.rows)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET max_parallel_workers_per_gather = 0")
            conn.execute("SET jit = off")
            rng = random.Random(5)
            print(f"{'kind':6} {'found/q':>8}  {'DB p50':>7} {'DB p99':>7} {'DB max':>7}   "
                  f"{'wall p50':>8} {'wall p99':>8}  (ms)")
            for name, kind in KINDS.items():
                db_ms, wall_ms, found = run_kind(conn, kind, args.queries, rng)
                worst = max(worst, percentile(db_ms, 99))
                print(f"{name:6} {found:8.2f}  {statistics.median(db_ms):7.3f} "
                      f"{percentile(db_ms, 99):7.3f} {max(db_ms):7.3f}   "
                      f"{statistics.median(wall_ms):8.3f} {percentile(wall_ms, 99):8.3f}")
        if args.keep:
            print(f"kept: {url}")
    print(f"bar (p99 DB time < 5 ms with {args.rows:,} assets): "
          f"{'met' if worst < 5 else 'NOT met'} (worst p99 {worst:.3f} ms)")


if __name__ == "__main__":
    main()
