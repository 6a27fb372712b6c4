"""Deliveries: claim the due ones, record what the receiver answered, list and retry them.

A claim (one short transaction) takes due deliveries with ``FOR NO KEY UPDATE SKIP LOCKED``,
moves their ``next_attempt_at`` one lease ahead, counts the attempt and writes its
``gis311.delivery_attempt`` row; so two workers never hold the same delivery, and a worker
killed before recording the answer leaves it due again after the lease, to be sent again with
the same ``delivery_id``. A delivery is marked delivered only after the receiver accepted it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from gis311.notify.errors import Conflict, NotFound
from gis311.notify.queries import query

STATUSES = ("pending", "delivered", "failed")


@dataclass(frozen=True)
class Item:
    """One claimed delivery: its notification and the attempt being made."""

    pk: int
    delivery_id: UUID
    event: str
    body: dict[str, Any]
    attempt: int
    attempt_id: int


@dataclass(frozen=True)
class Job:
    """What one send carries: a webhook call or an immediate email (one item), or an email
    digest (every due item of one subscription and period)."""

    subscription_id: int
    layer: str
    code: str
    channel: str
    url: str | None
    email: str | None
    secret: str | None
    digest: str
    digest_period: datetime | None
    items: tuple[Item, ...]

    @property
    def district(self) -> str:
        """The subscription's district as ``layer:code``."""
        return f"{self.layer}:{self.code}"


@dataclass(frozen=True)
class Outcome:
    """What the receiver answered: ``ok`` only when it accepted the notification."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0


@dataclass(frozen=True)
class Retry:
    """The retry policy: ``max_attempts`` attempts, waits of ``base * 2**(n-1)`` seconds capped
    at ``backoff_max``."""

    max_attempts: int = 10
    backoff_base: float = 30.0
    backoff_max: float = 3600.0


def backoff(attempt: int, policy: Retry) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based); as the SQL computes."""
    return float(min(policy.backoff_base * 2 ** min(attempt - 1, 60), policy.backoff_max))


def _relaxed_commit(conn: psycopg.Connection) -> None:
    # Claims and answers need not wait for the disk: if the database crashes before it wrote
    # one, the delivery is again (or still) due and is sent once more with the same delivery
    # id, which at-least-once allows. Fan-out keeps synchronous commits: a lost fan-out would
    # be redone with new delivery ids for notifications already sent.
    conn.execute("SET LOCAL synchronous_commit = off")


def _jobs(rows: list[dict[str, Any]], attempt_ids: dict[int, int]) -> list[Job]:
    groups: dict[tuple[int, datetime | None, int], list[dict[str, Any]]] = {}
    for row in rows:
        # Immediate deliveries are one job each; a digest groups its subscription and period.
        key = (row["subscription_id"], row["digest_period"],
               0 if row["digest_period"] is not None else row["id"])
        groups.setdefault(key, []).append(row)
    jobs = []
    for members in groups.values():
        first = members[0]
        members.sort(key=lambda r: r["id"])
        jobs.append(Job(
            subscription_id=first["subscription_id"], layer=first["layer"], code=first["code"],
            channel=first["channel"], url=first["url"], email=first["email"],
            secret=first["secret"], digest=first["digest"],
            digest_period=first["digest_period"],
            items=tuple(
                Item(pk=r["id"], delivery_id=r["delivery_id"], event=r["event"], body=r["body"],
                     attempt=r["attempts"], attempt_id=attempt_ids[r["id"]])
                for r in members
            ),
        ))
    return jobs


def claim(
    conn: psycopg.Connection, *, limit: int, lease_seconds: float, digests: bool = True
) -> list[Job]:
    """Lease at most ``limit`` due immediate deliveries (and, with ``digests``, the due digests
    of at most ``limit`` subscriptions) for ``lease_seconds``; the jobs to send."""
    params = {"limit": limit, "lease": float(lease_seconds)}
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        _relaxed_commit(conn)
        rows = cur.execute(query("deliveries", "claim_immediate"), params).fetchall()
        if digests:
            rows += cur.execute(query("deliveries", "claim_digests"), params).fetchall()
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        cur.execute(query("deliveries", "close_interrupted"), {"ids": ids})
        started = cur.execute(query("deliveries", "start_attempts"), {"ids": ids}).fetchall()
    return _jobs(rows, {r["delivery_pk"]: r["id"] for r in started})


def record(
    conn: psycopg.Connection, answers: Sequence[tuple[Job, Outcome]], policy: Retry
) -> None:
    """Write the answers of sends in one transaction: the attempt rows, then delivered, or a
    retry after the backoff, or failed at the cap."""
    if not answers:
        return
    attempts: dict[str, list[Any]] = {"attempt_ids": [], "status_codes": [], "errors": [],
                                      "durations": []}
    delivered: dict[str, list[Any]] = {"ids": [], "status_codes": []}
    refused: dict[str, list[Any]] = {"ids": [], "status_codes": [], "errors": []}
    for job, outcome in answers:
        for item in job.items:
            attempts["attempt_ids"].append(item.attempt_id)
            attempts["status_codes"].append(outcome.status_code)
            attempts["errors"].append(outcome.error)
            attempts["durations"].append(outcome.duration_ms)
            target = delivered if outcome.ok else refused
            target["ids"].append(item.pk)
            target["status_codes"].append(outcome.status_code)
            if not outcome.ok:
                refused["errors"].append(outcome.error)
    with conn.transaction():
        _relaxed_commit(conn)
        conn.execute(query("deliveries", "finish_attempts"), attempts)
        if delivered["ids"]:
            conn.execute(query("deliveries", "mark_delivered"), delivered)
        if refused["ids"]:
            conn.execute(query("deliveries", "mark_attempt_failed"), {
                **refused, "max_attempts": policy.max_attempts,
                "backoff_base": policy.backoff_base, "backoff_max": policy.backoff_max,
            })


@dataclass(frozen=True)
class Attempt:
    """One attempt of a delivery as logged."""

    at: datetime
    finished_at: datetime | None
    status_code: int | None
    error: str | None
    duration_ms: int | None


@dataclass(frozen=True)
class DeliveryInfo:
    """A delivery as an admin sees it."""

    id: int
    delivery_id: UUID
    subscription_id: int
    district: str
    channel: str
    event: str
    case_number: str | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: tuple[Attempt, ...] | None = field(default=None)


_INFO = (
    "SELECT d.id, d.delivery_id, d.subscription_id, s.layer || ':' || s.code AS district, "
    "s.channel, d.event, d.body -> 'case' ->> 'number' AS case_number, d.status, d.attempts, "
    "CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at, "
    "d.last_status_code, d.last_error, d.created_at, d.delivered_at "
    "FROM gis311.delivery d JOIN gis311.subscription s ON s.id = d.subscription_id "
)


def list_deliveries(
    conn: psycopg.Connection, *, status: Sequence[str] = (), subscription_id: int | None = None,
    limit: int = 100, before: int | None = None,
) -> list[DeliveryInfo]:
    """Deliveries, newest first, at most ``limit``; ``before``: only ids below it (paging)."""
    conditions = ["true"]
    params: dict[str, Any] = {"limit": limit}
    if status:
        conditions.append("d.status = ANY(%(status)s)")
        params["status"] = list(status)
    if subscription_id is not None:
        conditions.append("d.subscription_id = %(subscription_id)s")
        params["subscription_id"] = subscription_id
    if before is not None:
        conditions.append("d.id < %(before)s")
        params["before"] = before
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            _INFO + "WHERE " + " AND ".join(conditions) + " ORDER BY d.id DESC LIMIT %(limit)s",
            params,
        ).fetchall()
    return [DeliveryInfo(**r) for r in rows]


def get_delivery(conn: psycopg.Connection, pk: int) -> DeliveryInfo:
    """One delivery with its attempt log; NotFound when there is none."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(_INFO + "WHERE d.id = %s", (pk,)).fetchone()
        if row is None:
            raise NotFound(f"no delivery {pk}")
        attempts = cur.execute(
            "SELECT at, finished_at, status_code, error, duration_ms "
            "FROM gis311.delivery_attempt WHERE delivery_pk = %s ORDER BY id", (pk,),
        ).fetchall()
    return DeliveryInfo(**row, attempt_log=tuple(Attempt(**a) for a in attempts))


def retry(conn: psycopg.Connection, pk: int) -> DeliveryInfo:
    """Make failed delivery ``pk`` due now with a fresh count of attempts (same delivery id).

    NotFound when there is none; Conflict when it is not failed or its subscription was
    deleted."""
    with conn.transaction():
        row = conn.execute(
            "SELECT d.status, s.active FROM gis311.delivery d "
            "JOIN gis311.subscription s ON s.id = d.subscription_id "
            "WHERE d.id = %s FOR UPDATE OF d",
            (pk,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no delivery {pk}")
        status, active = row
        if status != "failed":
            raise Conflict(f"delivery {pk} is {status}; only failed deliveries can be retried")
        if not active:
            raise Conflict(f"delivery {pk} belongs to a deleted subscription")
        conn.execute(
            "UPDATE gis311.delivery SET status = 'pending', attempts = 0, "
            "next_attempt_at = now() WHERE id = %s", (pk,),
        )
    return get_delivery(conn, pk)
