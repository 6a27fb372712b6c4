"""Notification throughput: fan-out of the outbox and sending by ``gis311 worker``.

In a database of its own: ten square districts, one subscription each (webhooks to an HTTP
receiver in this process, or with ``--email N`` the last N districts by email to an aiosmtpd
server in this process), N cases filed through ``registry.intake.file_case`` (default 10,000).
Then two figures:

- fan-out: ``gis311.notify.fanout.fan_out_all`` on the whole outbox, events/s;
- sending: ``gis311 worker --once`` as a child process (startup included) until every delivery
  is delivered, deliveries/s, and the receivers' count (each must get each delivery once).

Both receivers run in this Python process and share its CPU with the worker on a small
machine: the figure is a floor.

    .venv/bin/python bench/notify.py [--cases 10000] [--concurrency 16] [--email 0]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_database
from gis311.notify import fanout, subscriptions
from registry import intake
from tests.gis311.notify import grid
from tests.gis311.notify.receivers import smtp_server, webhook_receiver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--email", type=int, default=0, choices=range(11),
                        help="districts (of 10) notified by email instead of webhook")
    args = parser.parse_args()
    with bench_database("bench_notify") as url, webhook_receiver() as receiver, \
            smtp_server() as mailbox:
        with psycopg.connect(url, autocommit=True) as conn:
            grid.build(conn)
        with psycopg.connect(url) as conn:
            for n in grid.DISTRICTS:
                by_email = int(n) > 10 - args.email
                subscriptions.create(conn, subscriptions.NewSubscription(
                    district=f"council:{n}", channel="email" if by_email else "webhook",
                    url=None if by_email else receiver.url(f"/council/{n}"),
                ))
            rng = random.Random(311)
            started = time.perf_counter()
            for i in range(args.cases):
                lon, lat = grid.point_in(grid.DISTRICTS[i % 10], rng)
                intake.file_case(conn, intake.CaseReport("pothole", lon, lat))
            filed = time.perf_counter() - started
            print(f"filed {args.cases:,} cases in {filed:.1f} s "
                  f"({args.cases / filed:,.0f}/s, one transaction each)")
            started = time.perf_counter()
            done = fanout.fan_out_all(conn, public_url="https://311.city.example")
            took = time.perf_counter() - started
            print(f"fan-out: {done.events:,} events -> {done.deliveries:,} deliveries in "
                  f"{took:.2f} s ({done.events / took:,.0f} events/s)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIS311_")}
        env.update(GIS311_DATABASE_URL=url, GIS311_SMTP_HOST=mailbox.host,
                   GIS311_SMTP_PORT=str(mailbox.port))
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "gis311", "worker", "--once",
             "--concurrency", str(args.concurrency)],
            env=env, check=True, stdin=subprocess.DEVNULL,
        )
        took = time.perf_counter() - started
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT count(*) FILTER (WHERE status = 'delivered'), count(*) "
                "FROM gis311.delivery"
            ).fetchone()
        assert row is not None
        received = receiver.count() + len(mailbox.messages)
        print(f"send: {row[0]:,} of {row[1]:,} delivered in {took:.1f} s "
              f"({row[0] / took:,.0f} deliveries/s, concurrency {args.concurrency}, "
              f"{args.email} of 10 districts by email); receivers got {received:,}")


if __name__ == "__main__":
    main()
