"""The worker end to end, on committed data, with a real HTTP receiver and a real SMTP server on
loopback: 1,000 cases in 10 districts, retries, failure after the cap, concurrent workers."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest

from gis311.notify import email, fanout, subscriptions, webhook
from gis311.notify.deliveries import Retry
from gis311.notify.worker import Worker, WorkerConfig
from registry import cases, intake
from tests.conftest import api_key, bearer, forget_keys
from tests.gis311.notify import grid
from tests.gis311.notify.receivers import Mailbox, WebhookReceiver, smtp_server, webhook_receiver

PUBLIC = "https://311.city.example"


@pytest.fixture
def city(database_url: str) -> Iterator[psycopg.Connection]:
    """The grid city, committed; a connection to it (idle: each call commits)."""
    with grid.committed(database_url) as conn:
        yield conn


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as running:
        yield running


def config(mailbox: Mailbox | None = None, **options: Any) -> WorkerConfig:
    settings: dict[str, Any] = {
        "public_url": PUBLIC, "concurrency": 8, "poll_interval": 0.05, "timeout": 2.0,
        "retry": Retry(max_attempts=3, backoff_base=0.05, backoff_max=0.2),
        "smtp": email.SmtpConfig(
            host="127.0.0.1", port=mailbox.port if mailbox else 9, sender="gis311@city.example",
            timeout=5,
        ),
    }
    settings.update(options)
    return WorkerConfig(**settings)


def run_until(
    url: str, cfg: WorkerConfig, done: Callable[[], bool], *, seconds: float = 60
) -> None:
    """Run the worker ``--once`` again and again until ``done()`` (retries fall due)."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        Worker(lambda: psycopg.connect(url), cfg).run(once=True)
        time.sleep(0.02)


def subscribe(conn: psycopg.Connection, district: str, **options: Any) -> subscriptions.Created:
    return subscriptions.create(conn, subscriptions.NewSubscription(district=district, **options))


def file(conn: psycopg.Connection, district: str, rng: random.Random,
         service: str = "pothole") -> str:
    lon, lat = grid.point_in(district, rng)
    return intake.file_case(conn, intake.CaseReport(service, lon, lat)).number


def statuses(conn: psycopg.Connection) -> dict[str, int]:
    return dict(conn.execute(
        "SELECT status, count(*) FROM gis311.delivery GROUP BY status"
    ).fetchall())


def delivery_ids(conn: psycopg.Connection, subscription_id: int) -> set[str]:
    return {str(r[0]) for r in conn.execute(
        "SELECT delivery_id FROM gis311.delivery WHERE subscription_id = %s", (subscription_id,)
    ).fetchall()}


def test_a_receiver_answering_500_then_200_gets_it_on_the_retry(
    database_url, city, receiver
) -> None:
    receiver.script["/flaky"] = [500]
    subscribe(city, "council:4", channel="webhook", url=receiver.url("/flaky"))
    file(city, "4", random.Random(1))
    url = database_url
    run_until(url, config(), lambda: statuses(city) == {"delivered": 1})
    first, second = receiver.at("/flaky")
    assert (first.status, second.status) == (500, 200)
    assert first.headers["x-gis311-delivery"] == second.headers["x-gis311-delivery"]
    log = city.execute(
        "SELECT a.status_code, a.error, d.attempts FROM gis311.delivery_attempt a "
        "JOIN gis311.delivery d ON d.id = a.delivery_pk ORDER BY a.id"
    ).fetchall()
    assert log == [(500, "HTTP 500: receiver says no", 2), (200, None, 2)]


def test_a_receiver_always_500_fails_after_the_cap_and_admin_retries_it(
    database_url, city, receiver, live_server
) -> None:
    receiver.default = 500
    subscribe(city, "council:5", channel="webhook", url=receiver.url("/down"))
    file(city, "5", random.Random(2))
    url = database_url
    run_until(url, config(), lambda: statuses(city) == {"failed": 1})
    assert [r.status for r in receiver.at("/down")] == [500, 500, 500]
    admin = api_key(city, "admin")
    councilor = api_key(city, "councilor", districts=["council:5"])
    city.commit()
    try:
        listed = httpx.get(f"{live_server}/api/v1/deliveries", params={"status": "failed"},
                           headers=bearer(admin)).json()["deliveries"]
        (failed,) = listed
        assert failed["attempts"] == 3 and failed["last_status_code"] == 500
        assert failed["delivery_id"] == receiver.at("/down")[0].headers["x-gis311-delivery"]
        one = httpx.get(f"{live_server}/api/v1/deliveries/{failed['id']}",
                        headers=bearer(admin)).json()
        assert [a["status_code"] for a in one["attempt_log"]] == [500, 500, 500]
        refused = httpx.get(f"{live_server}/api/v1/deliveries", headers=bearer(councilor))
        assert refused.status_code == 403
        # The receiver is back: admin retries, the worker delivers with the same id.
        receiver.default = 200
        retried = httpx.post(f"{live_server}/api/v1/deliveries/{failed['id']}/retry",
                             headers=bearer(admin))
        assert retried.status_code == 200 and retried.json()["status"] == "pending"
        run_until(url, config(), lambda: statuses(city) == {"delivered": 1})
        ids = {r.headers["x-gis311-delivery"] for r in receiver.at("/down")}
        assert ids == {failed["delivery_id"]} and len(receiver.at("/down")) == 4
    finally:
        forget_keys(city, admin, councilor)
        city.commit()


def _verify_webhooks(
    receiver: WebhookReceiver, path: str, secret: str, district: str,
    expected: set[tuple[str, str]], ids: set[str],
) -> None:
    got = receiver.at(path)
    seen = set()
    for request in got:
        headers = request.headers
        assert webhook.verify(secret, headers["x-gis311-timestamp"], request.body,
                              headers["x-gis311-signature"]), "signature"
        body = json.loads(request.body)
        assert body["delivery_id"] == headers["x-gis311-delivery"]
        assert body["case"]["districts"]["council"]["code"] == district
        assert body["case"]["url"] == f"{PUBLIC}/api/v1/cases/{body['case']['number']}"
        seen.add((body["event"], body["case"]["number"]))
    assert seen == expected
    received_ids = [r.headers["x-gis311-delivery"] for r in got]
    assert len(received_ids) == len(set(received_ids)) == len(expected)  # no duplicates
    assert set(received_ids) == ids


def test_1000_cases_in_10_districts_reach_exactly_their_offices(
    database_url, city, receiver, mailbox
) -> None:
    channels: dict[str, dict[str, Any]] = {}
    for n in grid.DISTRICTS:
        if int(n) <= 5:
            options = {"channel": "webhook", "url": receiver.url(f"/council/{n}")}
        else:
            digest = {"9": "daily", "10": "hourly"}.get(n, "immediate")
            options = {"channel": "email", "digest": digest}  # the district office's address
        created = subscribe(city, f"council:{n}", **options)
        channels[n] = {"id": created.subscription.id, "secret": created.secret,
                       "email": created.subscription.email, **options}
    rng = random.Random(311)
    expected: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for i in range(1000):
        district = grid.DISTRICTS[i % 10]
        number = file(city, district, rng, rng.choice(["pothole", "graffiti"]))
        expected[district].add(("case.created", number))
        if i % 7 == 3:  # every seventh case changes status: that notifies too
            cases.update_case(city, number, actor="test", status="in_progress")
            city.commit()  # update_case reads the case back after its commit
            expected[district].add(("case.updated", number))
    url = database_url
    cfg = config(mailbox, concurrency=16)
    totals = Worker(lambda: psycopg.connect(url), cfg).run(once=True)
    total = sum(len(events) for events in expected.values())
    digests = len(expected["9"]) + len(expected["10"])
    assert totals.events == totals.created == total == 1000 + 143
    assert statuses(city) == {"delivered": total - digests, "pending": digests}  # digests wait
    # The digests' periods end: they go out as one message per subscription and period.
    city.execute("UPDATE gis311.delivery SET next_attempt_at = now() WHERE status = 'pending'")
    city.commit()
    Worker(lambda: psycopg.connect(url), cfg).run(once=True)
    assert statuses(city) == {"delivered": total}

    for n, channel in channels.items():
        ids = delivery_ids(city, channel["id"])
        label = f"Council {n} (council:{n})"
        if channel["channel"] == "webhook":
            _verify_webhooks(receiver, f"/council/{n}", channel["secret"], n, expected[n], ids)
            continue
        messages = mailbox.to(channel["email"])
        assert channel["email"] == f"council{n}@city.example"
        if channel["digest"] == "immediate":
            assert {m["X-GIS311-Delivery"] for m in messages} == ids
            assert len(messages) == len(ids) == len(expected[n])
            for message in messages:
                text = message.get_content()
                number = message["Subject"].split()[1]
                assert f"Case:      {number}" in text and f"District:  {label}" in text
                event = message["X-GIS311-Event"]
                assert (event, number) in expected[n]
        else:
            periods = city.execute(
                "SELECT count(DISTINCT digest_period) FROM gis311.delivery "
                "WHERE subscription_id = %s", (channel["id"],),
            ).fetchone()
            assert periods is not None and len(messages) == periods[0]
            listed = set()
            for message in messages:
                text = message.get_content()
                assert label in message["Subject"] and label in text
                for line in text.splitlines():
                    if line.startswith("- Case "):
                        words = line.split()
                        event = "case.created" if words[3].startswith("filed") else "case.updated"
                        listed.add((event, words[2]))
            assert listed == expected[n]
    attempts = city.execute("SELECT max(attempts), count(*) FROM gis311.delivery").fetchone()
    assert attempts == (1, total)


def test_two_workers_at_once_send_every_delivery_once(
    database_url, city, receiver
) -> None:
    for n in grid.DISTRICTS:
        subscribe(city, f"council:{n}", channel="webhook", url=receiver.url(f"/c/{n}"))
    rng = random.Random(7)
    for i in range(200):
        file(city, grid.DISTRICTS[i % 10], rng)
    url = database_url
    receiver.delay = 0.005
    # Fanned out first: a worker --once that finds the outbox held by the other stops at once.
    fanout.fan_out_all(city, public_url=PUBLIC)
    workers = [Worker(lambda: psycopg.connect(url), config(concurrency=4)) for _ in range(2)]
    threads = [threading.Thread(target=w.run, kwargs={"once": True}) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert statuses(city) == {"delivered": 200}
    ids = [r.headers["x-gis311-delivery"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 200
    assert all(w.totals.sent > 0 for w in workers), [w.totals for w in workers]


def test_stop_lets_the_sends_in_flight_finish_and_records_them(
    database_url, city, receiver
) -> None:
    subscribe(city, "council:1", channel="webhook", url=receiver.url("/slow"))
    rng = random.Random(3)
    for _ in range(40):
        file(city, "1", rng)
    receiver.delay = 0.3
    url = database_url
    worker = Worker(lambda: psycopg.connect(url), config(concurrency=4))
    thread = threading.Thread(target=worker.run)
    thread.start()
    deadline = time.monotonic() + 30
    while receiver.count() < 4:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    worker.stop()
    thread.join(30)
    assert not thread.is_alive()
    counts = statuses(city)
    assert counts["delivered"] == receiver.count() and counts["delivered"] < 40
    # Nothing left leased: what was not sent is due now, for the next worker.
    leased = city.execute(
        "SELECT count(*) FROM gis311.delivery WHERE status = 'pending' AND next_attempt_at > now()"
    ).fetchone()
    assert leased == (0,)


def test_the_worker_waits_out_a_database_outage(database_url, city, receiver) -> None:
    subscribe(city, "council:2", channel="webhook", url=receiver.url("/two"))
    file(city, "2", random.Random(4))
    tries: list[float] = []

    def connect() -> psycopg.Connection:
        tries.append(time.monotonic())
        if len(tries) <= 2:
            raise psycopg.OperationalError("connection refused (the test's outage)")
        return psycopg.connect(database_url)

    worker = Worker(connect, config())
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while statuses(city) != {"delivered": 1}:
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.02)
    finally:
        worker.stop()
        thread.join(30)
    assert len(tries) == 3 and tries[2] - tries[1] >= 0.1  # waits longer each time
    assert len(receiver.received) == 1
