"""Vector tile throughput: gis311 (cache off, cache warm) against tipg and the raw SQL ceiling.

Loads 200,000 case points and 100,000 asset points spread over Boston's extent plus the Boston
wards into a database of its own, then requests every tile z12..z16 over that extent (shuffled,
the same list for everyone) at concurrency 8 for a fixed time with wrk. The ceiling is the same
ST_AsMVT query gis311 runs, timed straight against PostgreSQL with 8 connections. tipg and gis311
run under uvicorn with the same number of workers; tipg is given the stored 3857 column, the
same buffer, feature cap and property list, so it does no more work than gis311. All three reach
PostgreSQL through the embedded cluster's Unix socket (or GIS311_DATABASE_URL's server).
gis311 serves cases at z12-z13 as point-count clusters (its layer design: a tile several
kilometres wide shows where cases gather); tipg serves every point there.

    .venv/bin/python bench/tiles.py [--seconds 20] [--workers 2] [--cases 200000] [--assets 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import AsyncConnection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import (
    SHARED_DATA,
    LoadResult,
    bench_database,
    gis311_server,
    server,
    via_socket,
    wrk,
)
from gis311 import tilelayers
from tiles.mvt import render_async, tile_query

BOSTON = (-71.1917, 42.2276, -70.9863, 42.3969)
ZOOMS = range(12, 17)
CONCURRENCY = 8
CASE_PROPS = "number,service_code,status,duplicate_count,parent_id,requested_at"
ASSET_PROPS = "asset_id,type_code,status"


def tiles_over(bounds: tuple[float, float, float, float]) -> list[tuple[int, int, int]]:
    """Every tile z12..z16 meeting ``bounds``, shuffled with a fixed seed."""
    west, south, east, north = bounds
    out = []
    for z in ZOOMS:
        n = 2**z

        def tx(lon: float, n: int = n) -> int:
            return int((lon + 180) / 360 * n)

        def ty(lat: float, n: int = n) -> int:
            return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

        out += [(z, x, y) for x in range(tx(west), tx(east) + 1)
                for y in range(ty(north), ty(south) + 1)]
    random.Random(311).shuffle(out)
    return out


def load(url: str, cases: int, assets: int) -> None:
    """Boston wards through the real importer, synthetic assets and cases through SQL."""
    wards = SHARED_DATA / "boston" / "wards_2012_2022.geojson"
    subprocess.run(
        [sys.executable, "-m", "gis311", "boundaries", "import", str(wards), "--layer", "ward",
         "--code-field", "WARD", "--kind", "ward"],
        env={**os.environ, "GIS311_DATABASE_URL": url}, check=True, capture_output=True,
    )
    west, south, east, north = BOSTON
    with psycopg.connect(url) as conn:
        conn.execute("SELECT setseed(0.311)")
        conn.execute(
            "INSERT INTO registry.asset_type (code, name, department, geometry_kind, "
            "snap_radius_m) VALUES ('streetlight', 'Streetlight', 'Public Works', 'point', 30)"
        )
        for code in ("pothole", "streetlight_out", "graffiti", "missed_trash"):
            conn.execute(
                "INSERT INTO registry.service (code, name, dedup_radius_m, dedup_window, "
                "sla_hours) VALUES (%s, %s, 25, '7 days', 72)", (code, code),
            )
        conn.execute(
            "INSERT INTO registry.asset (asset_id, type_code, geom, status) "
            "SELECT 'SL-' || i, 'streetlight', ST_SetSRID(ST_MakePoint("
            "%(w)s + random() * (%(e)s - %(w)s), %(s)s + random() * (%(n)s - %(s)s)), 4326), "
            "'active' FROM generate_series(1, %(count)s) i",
            {"w": west, "e": east, "s": south, "n": north, "count": assets},
        )
        conn.execute(
            "INSERT INTO registry.service_case (number, service_code, channel, requested_at, "
            "geom) SELECT '25-' || lpad(i::text, 8, '0'), "
            "(ARRAY['pothole', 'streetlight_out', 'graffiti', 'missed_trash'])[1 + i %% 4], "
            "'web', now() - random() * interval '90 days', ST_SetSRID(ST_MakePoint("
            "%(w)s + random() * (%(e)s - %(w)s), %(s)s + random() * (%(n)s - %(s)s)), 4326) "
            "FROM generate_series(1, %(count)s) i",
            {"w": west, "e": east, "s": south, "n": north, "count": cases},
        )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE registry.asset")
        conn.execute("VACUUM ANALYZE registry.service_case")


async def ceiling(
    url: str, layer: str, tiles: list[tuple[int, int, int]], seconds: int
) -> LoadResult:
    """gis311's own tile query straight against PostgreSQL, 8 connections, prepared."""
    spec = tilelayers.cases() if layer == "cases" else tilelayers.assets()
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker(offset: int) -> None:
        async with await AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("SET max_parallel_workers_per_gather = 0")
            await conn.execute("SET jit = off")
            i = offset
            while time.monotonic() < deadline:
                z, x, y = tiles[i % len(tiles)]
                started = time.perf_counter()
                await render_async(conn, tile_query(spec, z, x, y))
                latencies.append(time.perf_counter() - started)
                i += 1

    started = time.monotonic()
    await asyncio.gather(*(worker(k * len(tiles) // CONCURRENCY) for k in range(CONCURRENCY)))
    elapsed = time.monotonic() - started
    latencies.sort()
    return LoadResult(
        requests_per_s=len(latencies) / elapsed,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99)] * 1000,
        errors=0,
    )


def tipg_env(url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "TIPG_DB_SCHEMAS": json.dumps(["registry"]),
        "TIPG_DB_TABLES": json.dumps(["registry.service_case", "registry.asset"]),
        "TIPG_TILE_BUFFER": "64",
        "TIPG_MAX_FEATURES_PER_TILE": "50000",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--assets", type=int, default=100_000)
    args = parser.parse_args()

    tiles = tiles_over(BOSTON)
    print(f"{len(tiles)} tiles z{ZOOMS.start}-z{ZOOMS.stop - 1} over Boston, concurrency "
          f"{CONCURRENCY}, {args.seconds} s per run, {args.workers} uvicorn workers")
    rows: list[tuple[str, str, LoadResult]] = []
    with bench_database("bench_tiles") as url:
        started = time.monotonic()
        load(url, args.cases, args.assets)
        print(f"loaded {args.cases} cases, {args.assets} assets, Boston wards in "
              f"{time.monotonic() - started:.0f} s")
        # Every contender reaches PostgreSQL the same way: through the embedded cluster's
        # socket (or, on an external server, the URL given).
        url = via_socket(url)
        print(f"database: {url}")
        tipg_cmd = [sys.executable, "-m", "uvicorn", "tipg.main:app", "--port", "{port}",
                    "--workers", str(args.workers), "--log-level", "warning", "--no-access-log"]
        for layer, table, props in (("cases", "registry.service_case", CASE_PROPS),
                                    ("assets", "registry.asset", ASSET_PROPS)):
            ours = [f"/tiles/{layer}/{z}/{x}/{y}.mvt" for z, x, y in tiles]
            theirs = [f"/collections/{table}/tiles/WebMercatorQuad/{z}/{x}/{y}"
                      f"?geom-column=geom_3857&properties={props}" for z, x, y in tiles]
            rows.append((layer, "raw SQL ceiling (same ST_AsMVT query)",
                         asyncio.run(ceiling(url, layer, tiles, args.seconds))))
            with server(tipg_cmd, tipg_env(url), "/collections") as base:
                rows.append((layer, "tipg 1.6.1", wrk(base, theirs, seconds=args.seconds,
                                                       connections=CONCURRENCY)))
            with gis311_server(url, args.workers, tile_cache_mb="0") as base:
                rows.append((layer, "gis311, tile cache off",
                             wrk(base, ours, seconds=args.seconds, connections=CONCURRENCY)))
            with gis311_server(url, args.workers) as base:
                # One pass per worker fills both processes' caches.
                wrk(base, ours, seconds=max(5, args.seconds // 2), connections=CONCURRENCY)
                rows.append((layer, "gis311, tile cache warm",
                             wrk(base, ours, seconds=args.seconds, connections=CONCURRENCY)))
            for row in rows[-4:]:
                print(f"  {row[0]:<7} {row[1]:<40} {row[2].requests_per_s:>9,.0f} tiles/s")

    print()
    print("| layer | server | tiles/s | p50 ms | p99 ms | errors |")
    print("|---|---|---:|---:|---:|---:|")
    for layer, name, r in rows:
        print(f"| {layer} | {name} | {r.requests_per_s:,.0f} | {r.p50_ms:.1f} | "
              f"{r.p99_ms:.1f} | {r.errors} |")
    print()
    for layer in ("cases", "assets"):
        by = {name: r.requests_per_s for lay, name, r in rows if lay == layer}
        tipg = by["tipg 1.6.1"]
        off = by["gis311, tile cache off"]
        warm = by["gis311, tile cache warm"]
        ceil = by["raw SQL ceiling (same ST_AsMVT query)"]
        print(f"{layer}: cache off = {off / tipg:.2f}x tipg (bar 2.0), "
              f"{off / ceil:.2f}x ceiling (bar 0.7); cache warm = {warm / tipg:.1f}x tipg "
              f"(bar 10)")


if __name__ == "__main__":
    main()
