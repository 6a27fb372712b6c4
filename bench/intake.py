"""HTTP case intake throughput against `gis311 serve --workers 2` with Cambridge loaded.

Loads the example catalog, Cambridge wards, precincts and police sectors, and the streetlight,
hydrant and street-centreline inventories from ../shared/data/cambridge, then POSTs reports to
/api/v1/cases with wrk from 32 connections: first spread over Cambridge (points drawn inside the
wards, a mix of asset-based and radius-based services, so reports snap to real assets and fold
into repeats), then the hot spot: every report at one point. Afterwards it checks that every
request that got 201 is exactly one case in the database.

    .venv/bin/python bench/intake.py [--seconds 30] [--connections 32] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import REPO, SHARED_DATA, LoadResult, bench_database, gis311_server, wrk

CAMBRIDGE = SHARED_DATA / "cambridge"
WRK_POST = """
local bodies = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do bodies[#bodies + 1] = line end
local counter = 0
function setup(thread)
  thread:set("offset", counter * 7919)
  counter = counter + 1
end
local i = 0
function init(args)
  i = offset or 0
end
local headers = {["Content-Type"] = "application/json",
                 ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")}
function request()
  i = i + 1
  return wrk.format("POST", "/api/v1/cases", headers, bodies[(i % #bodies) + 1])
end
"""


def gis311(url: str, *args: str) -> str:
    """Run a gis311 command against the benchmark database; its standard output."""
    return subprocess.run(
        [sys.executable, "-m", "gis311", *args], check=True, capture_output=True, text=True,
        env={**os.environ, "GIS311_DATABASE_URL": url},
    ).stdout


def load(url: str) -> None:
    """The example catalog, Cambridge boundaries and inventories, through the real commands."""
    gis311(url, "catalog", "load", str(REPO / "catalog.example.yaml"))
    for file, layer, field, kind in (
        ("ELECTIONS_WardsPrecincts.geojson", "ward", "Ward", "ward"),
        ("ELECTIONS_WardsPrecincts.geojson", "precinct", "WardPrecinct", "precinct"),
        ("PUBLICSAFETY_PoliceSectors.geojson", "police_sector", "SECTOR", "police_beat"),
    ):
        gis311(url, "boundaries", "import", str(CAMBRIDGE / file), "--layer", layer,
               "--code-field", field, "--kind", kind)
    for file, kind in (("INFRA_StreetLights.geojson", "streetlight"),
                       ("INFRA_Hydrants.geojson", "hydrant"),
                       ("TRANS_Centerlines.geojson", "road_segment")):
        gis311(url, "assets", "import", str(CAMBRIDGE / file), "--type", kind)


def bodies(url: str, count: int) -> list[str]:
    """Reports at points inside Cambridge's wards: streetlights, potholes, hydrants."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT ST_X(g), ST_Y(g) FROM (SELECT (ST_Dump(ST_GeneratePoints("
            "ST_Union(f.geom), %s, 311))).geom AS g FROM boundaries.feature f "
            "JOIN boundaries.version v ON v.id = f.version_id JOIN boundaries.layer l "
            "ON l.id = v.layer_id WHERE l.code = 'ward') p", (count,),
        ).fetchall()
    rng = random.Random(311)
    out = []
    for lon, lat in rows:
        kind = rng.random()
        if kind < 0.45:
            body = {"service_code": "streetlight_out",
                    "attributes": {"light_state": rng.choice(["out", "flickering"])}}
        elif kind < 0.85:
            body = {"service_code": "pothole", "attributes": {"size": "small"}}
        else:
            body = {"service_code": "hydrant_leak", "attributes": {"leak_rate": "drip"}}
        body.update(lat=lat, lon=lon, description="benchmark report", channel="app")
        out.append(json.dumps(body))
    return out


def post_load(
    base: str, key: str, lines: list[str], seconds: int, connections: int
) -> LoadResult:
    """wrk POSTing the JSON ``lines`` round-robin with API key ``key``."""
    return wrk(base, lines, seconds=seconds, connections=connections, script=WRK_POST,
               env={"BENCH_KEY": key})


def analyze(url: str) -> None:
    """Statistics for the tables the warm-up filled: a city's database has them; a fresh one
    would otherwise be planned as if its case table were empty until autovacuum comes by."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def count_cases(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM registry.service_case").fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with bench_database("bench_intake") as url:
        load(url)
        key = gis311(url, "keys", "create", "--role", "reporter_app", "--name", "bench").strip()
        spread = bodies(url, 50_000)
        first = json.loads(spread[0])
        hot = [json.dumps({**json.loads(b), "lat": first["lat"], "lon": first["lon"],
                           "service_code": "pothole", "attributes": {"size": "small"}})
               for b in spread[:1000]]
        with gis311_server(url, args.workers, jurisdiction_layer="ward") as base:
            post_load(base, key, spread[-2000:], 5, args.connections)  # warm-up, discarded
            analyze(url)
            before = count_cases(url)
            spread_result = post_load(base, key, spread, args.seconds, args.connections)
            spread_cases = count_cases(url) - before
            before = count_cases(url)
            hot_result = post_load(base, key, hot, args.seconds, args.connections)
            hot_cases = count_cases(url) - before
    print(f"HTTP intake, {args.workers} workers, {args.connections} connections, "
          f"{args.seconds} s per run (wrk on the same machine)")
    print("| load | cases/s | p50 ms | p99 ms | non-2xx | 201s counted by wrk | cases stored |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, result, stored in (("spread over Cambridge", spread_result, spread_cases),
                                 ("hot spot (one point)", hot_result, hot_cases)):
        print(f"| {name} | {result.requests_per_s:,.0f} | {result.p50_ms:.1f} | "
              f"{result.p99_ms:.1f} | {result.errors} | {result.requests - result.errors:,} | "
              f"{stored:,} |")
    print("(cases stored may exceed the 201s wrk counted by the requests still in flight when "
          "wrk stopped: at most one per connection)")
    print("bar: spread >= 800 cases/s with p99 < 100 ms")


if __name__ == "__main__":
    main()
