"""Subscriptions: who is told about the cases of a district, through which channel.

A subscription follows a boundary feature by ``layer:code`` (not by feature id, so it outlives
redistricting versions), optionally only some services. Webhook subscriptions get a random
secret that signs every delivery; it is returned by ``create`` and never again. Deleting a
subscription keeps its row (deliveries refer to it) and fails its pending deliveries.

Reads and deletes take ``districts``: the ``layer:code`` list the caller may manage (None: all).
A subscription outside it is NotFound, exactly like one that does not exist.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row

from gis311.notify.errors import InvalidInput, NotFound

CHANNELS = ("webhook", "email")
DIGESTS = ("immediate", "hourly", "daily")
SECRET_MARK = "whsec_"
SECRET_BYTES = 32
_LAYER_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# No spaces, angle brackets, commas or line breaks: the address goes into a header.
_EMAIL_RE = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+$")


@dataclass(frozen=True)
class Subscription:
    """A stored subscription (never its secret)."""

    id: int
    layer: str
    code: str
    service_codes: tuple[str, ...] | None
    channel: str
    url: str | None
    email: str | None
    digest: str
    created_by: int | None
    active: bool
    created_at: datetime

    @property
    def district(self) -> str:
        """The followed feature as ``layer:code``."""
        return f"{self.layer}:{self.code}"


@dataclass(frozen=True)
class NewSubscription:
    """What a caller asks for. ``email`` may be left out: the district office's address (the
    boundary feature's ``office_email``) is used."""

    district: str
    channel: str
    url: str | None = None
    email: str | None = None
    service_codes: Sequence[str] | None = None
    digest: str = "immediate"


@dataclass(frozen=True)
class Created:
    """A new subscription and its secret (webhooks; None for email), shown this once."""

    subscription: Subscription
    secret: str | None


def parse_district(text: str) -> tuple[str, str]:
    """``layer:code`` as (layer, code); InvalidInput when it is not of that form."""
    layer, sep, code = text.strip().partition(":")
    if not sep or not _LAYER_RE.match(layer) or not code.strip() or len(code) > 200:
        raise InvalidInput(f"district {text!r} must be LAYER:CODE, e.g. ward:3")
    return layer, code.strip()


def in_scope(district: str, districts: Sequence[str] | None) -> bool:
    """Whether ``district`` (``layer:code``) lies in ``districts`` (None: everything)."""
    return districts is None or district in districts


def check_url(url: str) -> str:
    """An http(s) URL with a host, else InvalidInput."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"url {url!r} must be an http:// or https:// URL with a host")
    if len(url) > 2000 or any(c.isspace() for c in url):
        raise InvalidInput("url must be at most 2000 characters, without spaces")
    return url


def check_email(email: str) -> str:
    """A plain ``local@domain`` address, else InvalidInput."""
    email = email.strip()
    if len(email) > 320 or not _EMAIL_RE.match(email):
        raise InvalidInput(f"email {email!r} is not a plain address like office@city.gov")
    return email


def _office_email(conn: psycopg.Connection, layer: str, code: str) -> str | None:
    """The office address of the district's newest version that has one."""
    row = conn.execute(
        "SELECT f.office_email FROM boundaries.feature f "
        "JOIN boundaries.version v ON v.id = f.version_id "
        "JOIN boundaries.layer l ON l.id = v.layer_id "
        "WHERE l.code = %s AND f.code = %s AND f.office_email IS NOT NULL "
        "ORDER BY v.valid_from DESC NULLS LAST, v.id DESC LIMIT 1",
        (layer, code),
    ).fetchone()
    return str(row[0]) if row else None


def _check_district(conn: psycopg.Connection, layer: str, code: str) -> None:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM boundaries.layer WHERE code = %(layer)s), "
        "EXISTS (SELECT 1 FROM boundaries.feature f "
        "JOIN boundaries.version v ON v.id = f.version_id "
        "JOIN boundaries.layer l ON l.id = v.layer_id "
        "WHERE l.code = %(layer)s AND f.code = %(code)s)",
        {"layer": layer, "code": code},
    ).fetchone()
    assert row is not None
    if not row[0]:
        raise InvalidInput(f"district {layer}:{code}: no boundary layer {layer!r}")
    if not row[1]:
        raise InvalidInput(f"district {layer}:{code}: layer {layer} has no district {code!r}")


def _check_services(conn: psycopg.Connection, codes: Sequence[str]) -> list[str]:
    wanted = sorted({c.strip() for c in codes})
    if not wanted or any(not c for c in wanted):
        raise InvalidInput("service_codes must list service codes (or be null for every service)")
    known = {
        r[0] for r in conn.execute(
            "SELECT code FROM registry.service WHERE code = ANY(%s)", (wanted,)
        ).fetchall()
    }
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise InvalidInput(f"service_codes: unknown service {', '.join(unknown)}")
    return wanted


_COLUMNS = (
    "id, layer, code, service_codes, channel, url, email, digest, created_by, active, created_at"
)


def _subscription(row: dict[str, Any]) -> Subscription:
    codes = row["service_codes"]
    return Subscription(
        id=row["id"], layer=row["layer"], code=row["code"],
        service_codes=tuple(codes) if codes is not None else None, channel=row["channel"],
        url=row["url"], email=row["email"], digest=row["digest"],
        created_by=row["created_by"], active=row["active"], created_at=row["created_at"],
    )


def create(
    conn: psycopg.Connection, new: NewSubscription, *, created_by: int | None = None
) -> Created:
    """Store a subscription after checking it (InvalidInput names the field)."""
    layer, code = parse_district(new.district)
    if new.channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}")
    if new.digest not in DIGESTS:
        raise InvalidInput(f"digest must be one of {', '.join(DIGESTS)}")
    url = email = secret = None
    if new.channel == "webhook":
        if new.url is None:
            raise InvalidInput("url: a webhook subscription needs one")
        if new.email is not None:
            raise InvalidInput("email: a webhook subscription has a url, not an email")
        if new.digest != "immediate":
            raise InvalidInput("digest: webhooks are sent immediately; digests are for email")
        url = check_url(new.url)
        secret = SECRET_MARK + secrets.token_urlsafe(SECRET_BYTES)
    else:
        if new.url is not None:
            raise InvalidInput("url: an email subscription has an email, not a url")
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        _check_district(conn, layer, code)
        if new.channel == "email":
            given = new.email if new.email is not None else _office_email(conn, layer, code)
            if given is None:
                raise InvalidInput(
                    f"email: district {layer}:{code} has no office email; give an address"
                )
            email = check_email(given)
        services = _check_services(conn, new.service_codes) if new.service_codes is not None \
            else None
        row = cur.execute(
            "INSERT INTO gis311.subscription (layer, code, service_codes, channel, url, email, "
            "secret, digest, created_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            f"RETURNING {_COLUMNS}",
            (layer, code, services, new.channel, url, email, secret, new.digest, created_by),
        ).fetchone()
    assert row is not None
    return Created(subscription=_subscription(row), secret=secret)


def get(
    conn: psycopg.Connection, subscription_id: int, *, districts: Sequence[str] | None = None
) -> Subscription:
    """The active subscription ``subscription_id`` if it lies in ``districts``; else NotFound."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            f"SELECT {_COLUMNS} FROM gis311.subscription WHERE id = %s AND active",
            (subscription_id,),
        ).fetchone()
    if row is None or not in_scope(f"{row['layer']}:{row['code']}", districts):
        raise NotFound(f"no subscription {subscription_id}")
    return _subscription(row)


def list_subscriptions(
    conn: psycopg.Connection, *, districts: Sequence[str] | None = None
) -> list[Subscription]:
    """The active subscriptions in ``districts`` (None: all), oldest first."""
    condition = "" if districts is None else "AND layer || ':' || code = ANY(%(districts)s)"
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"SELECT {_COLUMNS} FROM gis311.subscription WHERE active {condition} ORDER BY id",
            {"districts": list(districts or ())},
        ).fetchall()
    return [_subscription(r) for r in rows]


def delete(
    conn: psycopg.Connection, subscription_id: int, *, districts: Sequence[str] | None = None
) -> Subscription:
    """Deactivate a subscription (NotFound as in ``get``) and fail its pending deliveries."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            f"SELECT {_COLUMNS} FROM gis311.subscription WHERE id = %s AND active FOR UPDATE",
            (subscription_id,),
        ).fetchone()
        if row is None or not in_scope(f"{row['layer']}:{row['code']}", districts):
            raise NotFound(f"no subscription {subscription_id}")
        cur.execute(
            "UPDATE gis311.subscription SET active = false, deleted_at = now() WHERE id = %s",
            (subscription_id,),
        )
        cur.execute(
            "UPDATE gis311.delivery SET status = 'failed', last_error = 'subscription deleted' "
            "WHERE subscription_id = %s AND status = 'pending'",
            (subscription_id,),
        )
    return _subscription({**row, "active": False})
