"""Open311 read throughput: the paged day-by-day download chicagorequests does, single requests,
and the spec's default list, against ``gis311 serve``; and POST latency.

Loads N cases (default 100,000) over 60 days across a 4 x 5 grid of wards over Boston's extent,
set-based in SQL, into a database of its own. Then, with wrk at concurrency 8 for a fixed time:
pages of 200 with ``extensions=true`` for one day each (JSON and XML), single requests by id, and
``status=open&service_code=...`` (at most 1000 per answer). Finally 300 form-encoded POSTs one
after another.

    .venv/bin/python bench/open311.py [--seconds 10] [--workers 2] [--cases 100000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_database, gis311_server, wrk
from gis311 import keys

BOSTON = (-71.1917, 42.2276, -70.9863, 42.3969)
DAYS = 60
CONCURRENCY = 8
SERVICES = ("pothole", "graffiti", "streetlight_out")

LOAD = """
INSERT INTO boundaries.layer (code, name, kind) VALUES ('ward', 'Wards', 'ward');
INSERT INTO boundaries.version (layer_id, label, source_name, source_sha256)
SELECT id, 'grid', 'bench', repeat('c', 64) FROM boundaries.layer;
INSERT INTO boundaries.feature (version_id, code, name, geom)
SELECT v.id, (ix * 5 + iy + 1)::text, 'Ward ' || (ix * 5 + iy + 1),
       ST_Multi(ST_MakeEnvelope(%(x0)s + ix * %(dx)s, %(y0)s + iy * %(dy)s,
                                %(x0)s + (ix + 1) * %(dx)s, %(y0)s + (iy + 1) * %(dy)s, 4326))
FROM boundaries.version v, generate_series(0, 3) ix, generate_series(0, 4) iy;
INSERT INTO boundaries.feature_part (feature_id, version_id, geom)
SELECT id, version_id, (ST_Dump(geom)).geom FROM boundaries.feature;
INSERT INTO registry.service (code, name, sla_hours)
SELECT unnest(%(services)s::text[]), initcap(unnest(%(services)s::text[])), 72;
INSERT INTO registry.service_case (number, service_code, description, channel, status,
    closure_reason, requested_at, updated_at, expected_at, closed_at, geom)
SELECT 'B-' || lpad(g::text, 8, '0'), (%(services)s::text[])[1 + g %% 3], 'bench case ' || g,
       'open311', CASE WHEN g %% 4 = 0 THEN 'closed' ELSE 'open' END,
       CASE WHEN g %% 4 = 0 THEN 'resolved' END,
       %(now)s - (g %% %(days)s) * interval '1 day' - (g %% 80000) * interval '1 second',
       %(now)s, %(now)s + interval '3 days', CASE WHEN g %% 4 = 0 THEN %(now)s END,
       ST_SetSRID(ST_MakePoint(%(x0)s + random() * %(w)s, %(y0)s + random() * %(h)s), 4326)
FROM generate_series(1, %(n)s) g;
INSERT INTO registry.case_district (case_id, layer, feature_id, code, version_id)
SELECT DISTINCT ON (c.id) c.id, 'ward', f.id, f.code, f.version_id
FROM registry.service_case c
JOIN boundaries.feature_part p ON ST_Intersects(p.geom, c.geom)
JOIN boundaries.feature f ON f.id = p.feature_id
ORDER BY c.id, f.code;
INSERT INTO registry.case_event (case_id, actor, kind, at)
SELECT id, 'bench', 'created', requested_at FROM registry.service_case;
"""


def load(url: str, n: int, now: datetime) -> str:
    """Write the wards, services and ``n`` cases; returns an API key that may file."""
    x0, y0, x1, y1 = BOSTON
    with psycopg.connect(url) as conn:
        values = {
            "x0": x0, "y0": y0, "dx": (x1 - x0) / 4, "dy": (y1 - y0) / 5, "w": x1 - x0,
            "h": y1 - y0, "n": n, "now": now, "days": DAYS, "services": list(SERVICES),
        }
        for statement in LOAD.split(";\n"):
            if statement.strip():
                conn.execute(statement, values)
        key = keys.create(conn, role="reporter_app", name="bench").key
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(311)
    with bench_database("bench_open311") as url:
        started = time.perf_counter()
        key = load(url, args.cases, now)
        print(f"loaded {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
        per_day = args.cases / DAYS
        pages = max(1, int(per_day // 200) + 1)
        day_pages = []
        for d in range(DAYS):
            start = (now - timedelta(days=d + 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            end = (now - timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ")
            for page in range(1, pages + 1):
                day_pages.append(f"start_date={start}&end_date={end}&extensions=true"
                                 f"&page={page}&page_size=200")
        rng.shuffle(day_pages)
        ids = [f"B-{rng.randrange(1, args.cases + 1):08d}" for _ in range(5000)]
        runs = {
            "day pages of 200, extensions, JSON":
                [f"/open311/v2/requests.json?{q}" for q in day_pages],
            "day pages of 200, extensions, XML":
                [f"/open311/v2/requests.xml?{q}" for q in day_pages],
            "single request by id, JSON": [f"/open311/v2/requests/{i}.json" for i in ids],
            "status=open&service_code (1000 max), JSON":
                [f"/open311/v2/requests.json?status=open&service_code={s}" for s in SERVICES],
        }
        with gis311_server(url, args.workers, tile_cache_mb="0") as base:
            for name, paths in runs.items():
                result = wrk(base, paths, seconds=args.seconds, connections=CONCURRENCY)
                print(f"{name:45s} {result.requests_per_s:9.1f} req/s  p50 "
                      f"{result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  errors "
                      f"{result.errors}")
            timings = []
            with httpx.Client(base_url=base, timeout=30) as client:
                for i in range(300):
                    x0, y0, x1, y1 = BOSTON
                    form = {"api_key": key, "service_code": SERVICES[i % 3],
                            "lat": y0 + rng.random() * (y1 - y0),
                            "long": x0 + rng.random() * (x1 - x0),
                            "description": f"bench post {i}", "email": "bench@example.org"}
                    t0 = time.perf_counter()
                    response = client.post("/open311/v2/requests.json", data=form)
                    timings.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 201, response.text
            timings.sort()
            print(f"{'POST requests, one at a time':45s} {1000 / statistics.mean(timings):9.1f} "
                  f"req/s  p50 {timings[len(timings) // 2]:7.1f} ms  p99 "
                  f"{timings[int(len(timings) * 0.99)]:7.1f} ms")


if __name__ == "__main__":
    main()
