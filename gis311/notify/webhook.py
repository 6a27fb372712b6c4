"""Webhook deliveries: a signed JSON POST.

The body is ``{"event", "delivery_id", "occurred_at", "change", "case": {...}}``. Headers:

- ``X-GIS311-Timestamp``: Unix seconds when the request was signed;
- ``X-GIS311-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the subscription's secret,
  over ``timestamp + "." + body`` (the raw body bytes), so a replayed old body fails a receiver
  that checks the timestamp;
- ``X-GIS311-Delivery``: the delivery id, the same on every retry of the same notification.

A 2xx answer delivers; any other status, a timeout or a connection error is retried.
Redirects are not followed (a receiver that moved must be subscribed again).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from gis311 import __version__
from gis311.notify.deliveries import Job, Outcome

SIGNATURE_HEADER = "X-GIS311-Signature"
TIMESTAMP_HEADER = "X-GIS311-Timestamp"
DELIVERY_HEADER = "X-GIS311-Delivery"
USER_AGENT = f"gis311/{__version__} (webhook)"
# Bytes of a refusing answer kept in the delivery log.
ERROR_SNIPPET = 200


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``timestamp + "." + body`` keyed with ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """Whether ``header`` is the signature of ``body`` at ``timestamp`` (constant time): what a
    receiver does."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def payload(job: Job) -> dict[str, Any]:
    """The JSON document of a single-item job, with its delivery id."""
    (item,) = job.items
    return {"event": item.event, "delivery_id": str(item.delivery_id), **{
        k: v for k, v in item.body.items() if k != "event"
    }}


def encode(document: dict[str, Any]) -> bytes:
    """The exact body bytes that are signed and sent."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def request_parts(job: Job, now: float | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the POST for ``job``."""
    assert job.secret is not None
    body = encode(payload(job))
    timestamp = str(int(now if now is not None else time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(job.secret, timestamp, body),
        DELIVERY_HEADER: str(job.items[0].delivery_id),
    }
    return body, headers


def send(client: httpx.Client, job: Job, timeout: float) -> Outcome:
    """POST ``job`` to its URL; never raises for the receiver's faults."""
    assert job.url is not None
    body, headers = request_parts(job)
    started = time.monotonic()
    request = client.build_request("POST", job.url, content=body, headers=headers,
                                   timeout=timeout)
    try:
        # Streamed: only the first bytes of an error answer are read, whatever its size.
        response = client.send(request, stream=True, follow_redirects=False)
        try:
            status = response.status_code
            snippet = b""
            if not 200 <= status < 300:
                for chunk in response.iter_bytes():
                    snippet += chunk
                    if len(snippet) >= ERROR_SNIPPET:
                        break
        finally:
            response.close()
    except httpx.TimeoutException:
        return Outcome(False, None, f"timed out after {timeout:g} s", _ms(started))
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500], _ms(started))
    if 200 <= status < 300:
        return Outcome(True, status, None, _ms(started))
    text = snippet[:ERROR_SNIPPET].decode("utf-8", "replace").strip()
    return Outcome(False, status, f"HTTP {status}: {text}".rstrip(": "), _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
