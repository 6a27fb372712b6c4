"""Case intake: one report in, one case out, in one transaction and one round trip.

The work happens in the database function ``registry.file_case``
(``registry/sql/functions/20_file_case.sql``): validate against the service, assign districts,
link the asset, find the parent of a repeat report under advisory locks, write the case, its
districts, history, contact and outbox event, and the idempotency record. This module checks
what can be checked without the database, calls it, and turns its errors into the registry's.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb

from registry.errors import Conflict, InvalidInput

CHANNELS = ("phone", "web", "app", "email", "walk_in", "open311", "import")
MAX_DESCRIPTION = 4000


class UnknownService(InvalidInput):
    """No active service has the code given."""


class AssetRejected(InvalidInput):
    """The asset the client named does not exist, is not active, is of the wrong type or is
    farther than its type's snapping radius."""


class InvalidAttribute(InvalidInput):
    """A required service attribute is missing, or a value is not one the service allows."""


class OutsideJurisdiction(InvalidInput):
    """The location lies outside every feature of the jurisdiction layer."""


class IdempotencyKeyReused(InvalidInput):
    """The Idempotency-Key was used before with a different request."""


_SQLSTATE_ERRORS: dict[str, type[InvalidInput]] = {
    "G3001": UnknownService,
    "G3002": AssetRejected,
    "G3003": InvalidAttribute,
    "G3004": OutsideJurisdiction,
    "G3009": IdempotencyKeyReused,
}


@dataclass(frozen=True)
class Contact:
    """Reporter contact: stored apart from the case, never in its public view."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None

    def as_json(self) -> dict[str, str]:
        """The fields that are set."""
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(frozen=True)
class CaseReport:
    """What a resident, an app or an agent reports."""

    service_code: str
    lon: float
    lat: float
    description: str = ""
    address: str | None = None
    channel: str = "web"
    attributes: Mapping[str, Any] = field(default_factory=dict)
    media_urls: Sequence[str] = ()
    language: str | None = None
    asset_id: str | None = None
    contact: Contact | None = None
    requested_at: datetime | None = None

    def fingerprint(self) -> str:
        """A hash of the report's content: the same report gives the same hash."""
        body = asdict(self)
        body["requested_at"] = self.requested_at.isoformat() if self.requested_at else None
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Filed:
    """The result of intake: the case's public JSON and whether it was a replay."""

    number: str
    case_json: str
    replayed: bool

    @property
    def case(self) -> dict[str, Any]:
        """The case as a dict."""
        parsed: dict[str, Any] = json.loads(self.case_json)
        return parsed


def check_report(report: CaseReport) -> None:
    """Refuse what needs no database to refuse: bad coordinates, channel, description."""
    for name, value, limit in (("lat", report.lat, 90.0), ("lon", report.lon, 180.0)):
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidInput(f"{name} must be a finite number")
        if abs(value) > limit:
            raise InvalidInput(f"{name} {value} is outside -{limit:g}..{limit:g}")
    if abs(report.lat) > 85.0511:
        raise InvalidInput(f"lat {report.lat} is beyond the mapped range (+-85.0511)")
    if report.channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}")
    if len(report.description) > MAX_DESCRIPTION:
        raise InvalidInput(f"description is longer than {MAX_DESCRIPTION} characters")


def file_case(
    conn: psycopg.Connection,
    report: CaseReport,
    *,
    client: str = "public",
    actor: str = "api",
    jurisdiction_layer: str | None = None,
    idempotency_key: str | None = None,
) -> Filed:
    """File ``report`` as a case (or replay the case an earlier request with the same
    ``idempotency_key`` from ``client`` filed). Must run at READ COMMITTED."""
    check_report(report)
    requested_at = report.requested_at or datetime.now(UTC)
    params = (
        report.service_code, float(report.lon), float(report.lat), requested_at,
        report.description, report.address, report.channel, Jsonb(dict(report.attributes)),
        list(report.media_urls), report.language, report.asset_id,
        Jsonb(report.contact.as_json()) if report.contact else None,
        client, actor, jurisdiction_layer, idempotency_key,
        report.fingerprint() if idempotency_key else None,
    )
    try:
        if conn.info.transaction_status == TransactionStatus.IDLE and not conn.autocommit:
            # Idle: the call is its own transaction, committed by the server as the statement
            # ends. One round trip instead of three (BEGIN, call, COMMIT), and the repeat-report
            # lock is held for the function and the commit only, not for client round trips.
            conn.autocommit = True
            try:
                row = conn.execute(FILE_CASE, params, prepare=True).fetchone()
            finally:
                conn.autocommit = False
        else:
            with conn.transaction():
                row = conn.execute(FILE_CASE, params, prepare=True).fetchone()
    except psycopg.Error as exc:
        raise _translate(exc) from None
    assert row is not None
    return Filed(number=row[0], case_json=row[1], replayed=row[2])


FILE_CASE = (
    "SELECT case_number, case_json, replayed FROM registry.file_case("
    + ", ".join(["%s"] * 17)
    + ")"
)


def _translate(exc: psycopg.Error) -> Exception:
    state = exc.sqlstate or ""
    message = exc.diag.message_primary or str(exc)
    if state in _SQLSTATE_ERRORS:
        return _SQLSTATE_ERRORS[state](message)
    if isinstance(exc, psycopg.errors.UniqueViolation):
        return Conflict(f"a concurrent report claimed the same asset; retry ({message})")
    return exc
