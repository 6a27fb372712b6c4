"""Claiming deliveries (leases, SKIP LOCKED), recording answers, backoff, failure, retry."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from gis311.notify import deliveries, fanout, subscriptions
from gis311.notify.deliveries import Outcome, Retry
from gis311.notify.errors import Conflict, NotFound
from gis311.notify.queries import query
from registry import intake
from tests.gis311.notify import grid

POLICY = Retry(max_attempts=3, backoff_base=10.0, backoff_max=15.0)


@pytest.fixture
def city(db: psycopg.Connection) -> psycopg.Connection:
    grid.build(db)
    return db


def subscribe(db: psycopg.Connection, district: str, **options) -> int:
    channel = options.pop("channel", "webhook")
    new = subscriptions.NewSubscription(
        district=district, channel=channel,
        url="http://127.0.0.1:9/hook" if channel == "webhook" else None, **options,
    )
    return subscriptions.create(db, new).subscription.id


def file_and_fan_out(db: psycopg.Connection, district: str, count: int = 1) -> None:
    lon, lat = grid.centre(district)
    for i in range(count):
        intake.file_case(db, intake.CaseReport("pothole", lon + i * 1e-4, lat))
    fanout.fan_out_all(db, public_url="http://test")


def delivery(db: psycopg.Connection, pk: int) -> dict:
    cur = db.execute(
        "SELECT status, attempts, next_attempt_at - now() AS wait, last_status_code, "
        "last_error, delivered_at IS NOT NULL AS delivered FROM gis311.delivery WHERE id = %s",
        (pk,),
    )
    row = cur.fetchone()
    assert row is not None and cur.description is not None
    return dict(zip([c.name for c in cur.description], row, strict=True))


def expire_leases(db: psycopg.Connection) -> None:
    db.execute("UPDATE gis311.delivery SET next_attempt_at = now() - interval '1 second' "
               "WHERE status = 'pending'")


def test_a_claim_leases_the_delivery_and_logs_the_attempt(city) -> None:
    subscribe(city, "council:1")
    file_and_fan_out(city, "1")
    (job,) = deliveries.claim(city, limit=10, lease_seconds=25)
    (item,) = job.items
    assert job.channel == "webhook" and job.url == "http://127.0.0.1:9/hook"
    assert job.secret is not None and job.secret.startswith("whsec_")
    assert item.attempt == 1
    state = delivery(city, item.pk)
    assert state["status"] == "pending" and state["attempts"] == 1
    assert state["wait"].total_seconds() == 25
    assert deliveries.claim(city, limit=10, lease_seconds=25) == []  # leased
    attempt = city.execute(
        "SELECT delivery_pk, finished_at FROM gis311.delivery_attempt WHERE id = %s",
        (item.attempt_id,),
    ).fetchone()
    assert attempt == (item.pk, None)


def test_success_marks_delivered_and_completes_the_attempt(city) -> None:
    subscribe(city, "council:1")
    file_and_fan_out(city, "1")
    (job,) = deliveries.claim(city, limit=10, lease_seconds=25)
    deliveries.record(city, [(job, Outcome(True, 204, None, 12))], POLICY)
    state = delivery(city, job.items[0].pk)
    assert state["status"] == "delivered" and state["delivered"]
    assert state["last_status_code"] == 204 and state["last_error"] is None
    attempt = city.execute(
        "SELECT status_code, error, duration_ms, finished_at IS NOT NULL "
        "FROM gis311.delivery_attempt WHERE delivery_pk = %s", (job.items[0].pk,),
    ).fetchall()
    assert attempt == [(204, None, 12, True)]


def test_failures_back_off_exponentially_then_fail_at_the_cap(city) -> None:
    subscribe(city, "council:1")
    file_and_fan_out(city, "1")
    waits = []
    for _ in range(POLICY.max_attempts):
        expire_leases(city)
        (job,) = deliveries.claim(city, limit=10, lease_seconds=25)
        deliveries.record(city, [(job, Outcome(False, 500, "HTTP 500: no", 3))], POLICY)
        state = delivery(city, job.items[0].pk)
        waits.append((state["status"], state["wait"].total_seconds()))
    # Waits of 10 s, then 20 s capped at 15 s; the third failure is the last.
    assert waits[:2] == [("pending", 10.0), ("pending", 15.0)]
    assert waits[2][0] == "failed"
    assert state["attempts"] == 3 and state["last_status_code"] == 500
    assert state["last_error"] == "HTTP 500: no"
    log = city.execute(
        "SELECT status_code FROM gis311.delivery_attempt WHERE delivery_pk = %s ORDER BY id",
        (job.items[0].pk,),
    ).fetchall()
    assert log == [(500,)] * 3
    expire_leases(city)
    assert deliveries.claim(city, limit=10, lease_seconds=25) == []


def test_backoff_matches_the_sql() -> None:
    policy = Retry(max_attempts=99, backoff_base=30, backoff_max=3600)
    assert [deliveries.backoff(n, policy) for n in (1, 2, 3, 8, 200)] == [
        30, 60, 120, 3600, 3600
    ]


def test_an_expired_lease_sends_again_with_the_same_delivery_id(city) -> None:
    subscribe(city, "council:1")
    file_and_fan_out(city, "1")
    (first,) = deliveries.claim(city, limit=10, lease_seconds=25)
    expire_leases(city)  # the worker died without an answer
    (second,) = deliveries.claim(city, limit=10, lease_seconds=25)
    assert second.items[0].delivery_id == first.items[0].delivery_id
    assert second.items[0].attempt == 2
    log = city.execute(
        "SELECT error FROM gis311.delivery_attempt WHERE delivery_pk = %s ORDER BY id",
        (first.items[0].pk,),
    ).fetchall()
    assert log == [("interrupted: the worker stopped before the answer was recorded",), (None,)]


def test_digest_deliveries_of_one_period_are_one_job(city) -> None:
    sub = subscribe(city, "council:2", channel="email", digest="hourly")
    subscribe(city, "council:2")
    file_and_fan_out(city, "2", count=3)
    # Not due before the hour ends: only the webhook deliveries are claimed.
    jobs = deliveries.claim(city, limit=10, lease_seconds=25)
    assert {j.channel for j in jobs} == {"webhook"} and len(jobs) == 3
    city.execute("UPDATE gis311.delivery SET next_attempt_at = now() WHERE subscription_id = %s",
                 (sub,))
    (digest,) = deliveries.claim(city, limit=10, lease_seconds=25)
    assert digest.subscription_id == sub and len(digest.items) == 3
    assert digest.email == "council2@city.example" and digest.digest == "hourly"
    assert digest.digest_period is not None


def test_retry_makes_a_failed_delivery_due_with_fresh_attempts(city) -> None:
    subscribe(city, "council:1")
    file_and_fan_out(city, "1")
    (job,) = deliveries.claim(city, limit=10, lease_seconds=25)
    pk = job.items[0].pk
    with pytest.raises(Conflict):
        deliveries.retry(city, pk)  # pending, not failed
    city.execute("UPDATE gis311.delivery SET status = 'failed' WHERE id = %s", (pk,))
    info = deliveries.retry(city, pk)
    assert info.status == "pending" and info.attempts == 0
    assert info.delivery_id == job.items[0].delivery_id
    (again,) = deliveries.claim(city, limit=10, lease_seconds=25)
    assert again.items[0].delivery_id == job.items[0].delivery_id
    with pytest.raises(NotFound):
        deliveries.retry(city, 10**12)


def test_deleting_a_subscription_fails_its_pending_deliveries(city) -> None:
    sub = subscribe(city, "council:1")
    file_and_fan_out(city, "1")
    subscriptions.delete(city, sub)
    (info,) = deliveries.list_deliveries(city, status=["failed"])
    assert info.last_error == "subscription deleted"
    with pytest.raises(Conflict):
        deliveries.retry(city, info.id)


def test_list_and_get(city) -> None:
    sub = subscribe(city, "council:1")
    file_and_fan_out(city, "1", count=3)
    listed = deliveries.list_deliveries(city, subscription_id=sub)
    assert [d.id for d in listed] == sorted((d.id for d in listed), reverse=True)
    assert all(d.district == "council:1" and d.status == "pending" for d in listed)
    assert deliveries.list_deliveries(city, status=["delivered"]) == []
    page = deliveries.list_deliveries(city, limit=2, before=listed[0].id)
    assert [d.id for d in page] == [listed[1].id, listed[2].id]
    one = deliveries.get_delivery(city, listed[0].id)
    assert one.attempt_log == () and one.case_number == listed[0].case_number
    with pytest.raises(NotFound):
        deliveries.get_delivery(city, 10**12)


@pytest.fixture
def committed(database_url: str) -> Iterator[str]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        grid.build(conn)
    try:
        yield database_url
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            grid.clear(conn)


def test_two_workers_never_claim_the_same_delivery(committed: str) -> None:
    with psycopg.connect(committed) as a, psycopg.connect(committed) as b:
        subscribe(a, "council:1")
        subscribe(a, "council:2", channel="email", digest="daily")
        a.commit()
        file_and_fan_out(a, "1", count=6)
        file_and_fan_out(a, "2", count=2)
        a.execute("UPDATE gis311.delivery SET next_attempt_at = now()")
        a.commit()
        # Worker a is inside its claim (rows locked, not committed) while b claims.
        a.execute(query("deliveries", "claim_immediate"), {"limit": 4, "lease": 25.0})
        a.execute(query("deliveries", "claim_digests"), {"limit": 4, "lease": 25.0})
        held = {r[0] for r in a.execute(
            "SELECT id FROM gis311.delivery WHERE next_attempt_at > now()"
        ).fetchall()}
        assert len(held) == 6  # four immediate, the digest's two
        taken = [item.pk for job in deliveries.claim(b, limit=10, lease_seconds=25)
                 for item in job.items]
        assert len(taken) == 2 and not set(taken) & held
        a.rollback()
