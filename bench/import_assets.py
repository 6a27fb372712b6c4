"""Asset import speed and memory: a generated CSV of N point assets (default 1,000,000).

Writes the CSV to a temporary folder (asset id, latitude, longitude and four attributes of
every type the schema checks: text, integer, date, boolean), creates a database of its own and
loads a one-type catalog, then runs the real command as a child process:

    gis311 assets import <csv> --type bench_light

and reports its wall time and its peak RSS (``ru_maxrss`` from ``os.wait4`` on that process,
which covers it and any process it waited for). It then imports the same file again (nothing
changes, every row is compared by content hash). Bars for the first import: <= 60 s on two
cores, peak RSS < 1 GB.

    .venv/bin/python bench/import_assets.py [--rows 1000000] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_database
from registry import catalog, catalog_file

# A 20 km square around Cambridge and Boston: a big city's worth of streetlights.
BBOX = (-71.20, 42.30, -70.96, 42.48)
FIXTURES = ("Cobrahead", "Acorn", "1907", "Shoebox", "Selux")
CATALOG = {
    "asset_types": [
        {
            "code": "bench_light", "name": "Benchmark light", "department": "Bench",
            "geometry_kind": "point", "snap_radius_m": 30, "id_field": "asset_id",
            "attributes": [
                {"name": "fixture", "type": "string"},
                {"name": "lamps", "type": "integer"},
                {"name": "installed", "type": "date"},
                {"name": "led", "type": "boolean"},
            ],
        },
        {
            "code": "bench_hydrant", "name": "Benchmark hydrant", "department": "Bench",
            "geometry_kind": "point", "snap_radius_m": 20, "id_field": "asset_id",
            "attributes": [{"name": "lamps", "type": "integer"}],
        },
    ],
}


def write_csv(path: Path, rows: int, *, prefix: str = "BL", seed: int = 311) -> None:
    """Write ``rows`` random point assets inside BBOX (streamed, never held in memory)."""
    rng = random.Random(seed)
    minx, miny, maxx, maxy = BBOX
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["asset_id", "latitude", "longitude", "fixture", "lamps", "installed",
                         "led"])
        for i in range(rows):
            writer.writerow([
                f"{prefix}-{i:07d}",
                f"{rng.uniform(miny, maxy):.7f}",
                f"{rng.uniform(minx, maxx):.7f}",
                FIXTURES[i % len(FIXTURES)],
                1 + i % 3,
                f"{1990 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "yes" if i % 4 else "no",
            ])


def load_catalog(url: str) -> None:
    """The benchmark's asset types."""
    with psycopg.connect(url) as conn:
        catalog.load(conn, catalog_file.parse(CATALOG))


def run_import(url: str, path: Path, type_code: str) -> tuple[float, float, str]:
    """Run `gis311 assets import` as a child: (seconds, peak RSS in MiB, its output)."""
    env = {**os.environ, "GIS311_DATABASE_URL": url}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gis311", "assets", "import", str(path), "--type", type_code],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    output = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"import failed ({proc.returncode}): {output}")
    return seconds, usage.ru_maxrss / 1024, output.strip()  # ru_maxrss is in KiB on Linux


def main() -> None:
    """Generate, import twice, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-assets-") as folder:
        path = Path(folder) / "bench_lights.csv"
        started = time.perf_counter()
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB) in "
              f"{time.perf_counter() - started:.1f} s")
        with bench_database("bench_import_assets", keep=args.keep) as url:
            load_catalog(url)
            seconds, rss, output = run_import(url, path, "bench_light")
            print(f"first import:  {seconds:6.1f} s  {args.rows / seconds:10,.0f} rows/s  "
                  f"peak RSS {rss:6.0f} MiB   [{output.splitlines()[0]}]")
            again_s, again_rss, again = run_import(url, path, "bench_light")
            print(f"same file again: {again_s:4.1f} s  {args.rows / again_s:10,.0f} rows/s  "
                  f"peak RSS {again_rss:6.0f} MiB   [{again.splitlines()[0]}]")
            with psycopg.connect(url, autocommit=True) as conn:
                # Untimed: leaves autovacuum nothing to do, so it cannot hold the database
                # when it is dropped at the end.
                conn.execute("VACUUM ANALYZE registry.asset, registry.asset_history")
                row = conn.execute(
                    "SELECT count(*), pg_size_pretty(pg_total_relation_size('registry.asset')), "
                    "pg_size_pretty(pg_total_relation_size('registry.asset_history')) "
                    "FROM registry.asset"
                ).fetchone()
            assert row is not None
            print(f"assets: {row[0]:,}; registry.asset {row[1]}, asset_history {row[2]}")
            if args.keep:
                print(f"kept: {url}")
    bar_ok = seconds <= 60 and rss < 1024
    print(f"bar (<= 60 s, < 1 GiB RSS for 1,000,000 rows): "
          f"{'met' if bar_ok else 'NOT met'}{'' if args.rows == 1_000_000 else ' (scaled run)'}")


if __name__ == "__main__":
    main()
