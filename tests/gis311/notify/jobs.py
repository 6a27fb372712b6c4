"""Jobs as the worker claims them, built by hand for tests that need no database."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from gis311.notify.deliveries import Item, Job


def case_body(number: str = "26-00000042", *, event: str = "case.created",
              change: dict[str, Any] | None = None, **case: Any) -> dict[str, Any]:
    """A delivery body like fan-out writes it (district council:3)."""
    document = {
        "number": number, "service_code": "pothole", "service_name": "Pothole",
        "status": "open", "closure_reason": None, "requested_at": "2026-11-24T10:00:00+00:00",
        "address": "3 Grid Street", "lat": 42.335, "lon": -71.125,
        "districts": {"council": {"code": "3", "name": "Council 3", "version": "2020"}},
        "asset": None, "parent": None,
        "url": f"https://311.city.example/api/v1/cases/{number}",
    }
    document.update(case)
    return {"event": event, "occurred_at": "2026-11-24T10:00:01+00:00",
            "change": change if change is not None else {"duplicate": False}, "case": document}


def item(body: dict[str, Any] | None = None, pk: int = 1) -> Item:
    body = body or case_body()
    return Item(pk=pk, delivery_id=uuid.uuid4(), event=body["event"], body=body, attempt=1,
                attempt_id=pk)


def job(*items: Item, channel: str = "webhook", url: str | None = "http://127.0.0.1:9/hook",
        email: str | None = None, digest: str = "immediate",
        period: datetime | None = None) -> Job:
    return Job(
        subscription_id=7, layer="council", code="3", channel=channel,
        url=url if channel == "webhook" else None,
        email=email if channel == "email" else None,
        secret="whsec_test-secret" if channel == "webhook" else None,
        digest=digest, digest_period=period, items=items or (item(),),
    )
