"""``gis311 worker`` as a real process: killed (SIGKILL) mid-run and started again, it loses no
delivery and sends repeats only with the same delivery id; SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gis311.notify import subscriptions
from registry import intake
from tests.gis311.notify import grid
from tests.gis311.notify.receivers import smtp_server, webhook_receiver


@pytest.fixture
def city(database_url: str) -> Iterator[psycopg.Connection]:
    """The grid city, committed; a connection to it (idle: each call commits)."""
    with grid.committed(database_url) as conn:
        yield conn


def worker_env(database_url: str, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIS311_")}
    env.update(
        GIS311_DATABASE_URL=database_url,
        GIS311_PUBLIC_URL="https://311.city.example",
        GIS311_SMTP_HOST="127.0.0.1",
        GIS311_SMTP_PORT=str(smtp_port),
        # A 1 s timeout makes the lease 7 s: a killed worker's deliveries fall due soon.
        GIS311_NOTIFY_TIMEOUT="1",
        GIS311_NOTIFY_CONCURRENCY="4",
        GIS311_NOTIFY_POLL_INTERVAL="0.1",
        GIS311_NOTIFY_BACKOFF_BASE="0.1",
        GIS311_NOTIFY_BACKOFF_MAX="0.5",
    )
    return env


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gis311", "worker", *args],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def counts(conn: psycopg.Connection) -> dict[str, int]:
    rows = conn.execute("SELECT status, count(*) FROM gis311.delivery GROUP BY status")
    result: dict[str, int] = dict(rows.fetchall())
    conn.commit()
    return result


def test_killed_and_restarted_the_worker_loses_nothing(database_url: str, city) -> None:
    with webhook_receiver(delay=0.04) as receiver, smtp_server() as mailbox:
        for n in grid.DISTRICTS:
            options = (
                {"channel": "webhook", "url": receiver.url(f"/council/{n}")}
                if int(n) <= 8 else {"channel": "email"}
            )
            subscriptions.create(
                city, subscriptions.NewSubscription(district=f"council:{n}", **options)
            )
        rng = random.Random(9)
        for i in range(300):
            district = grid.DISTRICTS[i % 10]
            lon, lat = grid.point_in(district, rng)
            intake.file_case(city, intake.CaseReport("pothole", lon, lat))
        env = worker_env(database_url, mailbox.port)
        log = Path(tempfile.mkstemp(prefix="gis311-worker-", suffix=".log")[1])
        try:
            # Killed right after it started sending, then a third of the way, then two thirds.
            kills = []
            for threshold in (1, 100, 200):
                proc = start(env, log)
                wait_for(lambda t=threshold: receiver.count() + len(mailbox.messages) >= t,
                         60, f"{threshold} notifications")
                proc.send_signal(signal.SIGKILL)
                assert proc.wait(10) == -signal.SIGKILL
                kills.append(counts(city))
            proc = start(env, log)
            wait_for(lambda: counts(city) == {"delivered": 300}, 90, "every delivery")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(20) == 0, log.read_text()[-3000:]
            assert "worker: fanned out" in log.read_text()
        finally:
            log.unlink()

        expected = {
            str(r[0]): (r[1], r[2]) for r in city.execute(
                "SELECT d.delivery_id, s.code, d.body -> 'case' ->> 'number' "
                "FROM gis311.delivery d JOIN gis311.subscription s ON s.id = d.subscription_id"
            ).fetchall()
        }
        assert len(expected) == 300
        # Every notification as received: its delivery id, district and case.
        got: list[tuple[str, str, str]] = []
        for request in receiver.received:
            body = json.loads(request.body)
            assert request.headers["x-gis311-delivery"] == body["delivery_id"]
            got.append((body["delivery_id"], request.path.rsplit("/", 1)[1],
                        body["case"]["number"]))
        for message in mailbox.messages:
            district = message["To"].removeprefix("council").split("@")[0]
            number = message["Subject"].split()[1]
            got.append((message["X-GIS311-Delivery"], district, number))
        ids_by_case: dict[tuple[str, str], set[str]] = defaultdict(set)
        for delivery_id, district, number in got:
            assert expected[delivery_id] == (district, number)
            ids_by_case[(district, number)].add(delivery_id)
        # Nothing missing; a repeat is always the same delivery, with the same delivery id.
        assert {d for d, _, _ in got} == set(expected)
        assert all(len(ids) == 1 for ids in ids_by_case.values())
        assert len(ids_by_case) == 300
        assert kills[0].get("delivered", 0) < kills[-1].get("delivered", 0) < 300


def test_once_drains_and_exits(database_url: str, city) -> None:
    with webhook_receiver() as receiver, smtp_server() as mailbox:
        subscriptions.create(city, subscriptions.NewSubscription(
            district="council:1", channel="webhook", url=receiver.url("/one")))
        lon, lat = grid.centre("1")
        intake.file_case(city, intake.CaseReport("graffiti", lon, lat))
        done = subprocess.run(
            [sys.executable, "-m", "gis311", "worker", "--once"],
            env=worker_env(database_url, mailbox.port), capture_output=True, text=True,
            timeout=60,
        )
    assert done.returncode == 0, done.stderr
    assert "worker: fanned out 1 events into 1 deliveries; 1 sends: 1 delivered" in done.stderr
    assert len(receiver.received) == 1


def test_a_bad_time_zone_is_one_line(database_url: str) -> None:
    env = worker_env(database_url, 25) | {"GIS311_NOTIFY_TIMEZONE": "Mars/Olympus"}
    done = subprocess.run([sys.executable, "-m", "gis311", "worker", "--once"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "Error: GIS311_NOTIFY_TIMEZONE: unknown time zone 'Mars/Olympus'"
    )
