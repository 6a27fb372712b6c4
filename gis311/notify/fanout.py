"""Fan-out: turn outbox events into deliveries, one per matching subscription.

Each batch is one transaction: the events are taken (marked ``fanned_out_at``, skipping rows
another worker holds) and their deliveries inserted together, so a worker killed at any moment
leaves either both or neither. ``UNIQUE (subscription_id, outbox_id)`` makes a repeated fan-out
of the same event harmless.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from gis311.notify.queries import query

BATCH = 500


@dataclass(frozen=True)
class FanOut:
    """What one call did: events taken from the outbox and deliveries created."""

    events: int
    deliveries: int


def case_url(public_url: str) -> str:
    """The prefix of a case's link in notifications (the case number follows)."""
    return public_url.rstrip("/") + "/api/v1/cases/"


def fan_out(
    conn: psycopg.Connection, *, public_url: str, timezone: str = "UTC", batch: int = BATCH
) -> FanOut:
    """Fan out one batch of at most ``batch`` events (in one transaction)."""
    with conn.transaction():
        ids = [r[0] for r in conn.execute(query("fanout", "take_events"), {"batch": batch})]
        if not ids:
            return FanOut(0, 0)
        created = conn.execute(
            query("fanout", "insert_deliveries"),
            {"ids": ids, "case_url": case_url(public_url), "tz": timezone},
        ).rowcount
    return FanOut(len(ids), created)


def fan_out_all(
    conn: psycopg.Connection, *, public_url: str, timezone: str = "UTC", batch: int = BATCH
) -> FanOut:
    """Fan out batches until the outbox has no event left that another worker does not hold."""
    events = deliveries = 0
    while True:
        done = fan_out(conn, public_url=public_url, timezone=timezone, batch=batch)
        events += done.events
        deliveries += done.deliveries
        if done.events < batch:
            return FanOut(events, deliveries)
