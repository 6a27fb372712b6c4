"""API keys: create (the key is shown once), verify, list, revoke.

A key is ``g311_`` and 43 URL-safe characters (32 random bytes). The table ``gis311.api_key``
keeps its SHA-256 and its first ``PREFIX_LENGTH`` characters; the prefix finds the row, the hash
(compared in constant time) proves the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

ROLES = ("reporter_app", "staff", "crew", "councilor", "admin")
# Roles whose keys may file cases (Open311 POST).
FILING_ROLES = ("reporter_app", "staff", "admin")
KEY_MARK = "g311_"
KEY_BYTES = 32
PREFIX_LENGTH = 12
_KEY_RE = re.compile(r"^g311_[A-Za-z0-9_-]{43}$")
_DISTRICT_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}:\S.*$")
# A key's last use is written at most this often: a write per request would turn every read
# into a write and serialise a busy app's requests on its key's row.
LAST_USED_EVERY = "5 minutes"


class KeyStoreError(Exception):
    """Base class of the key store's errors."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidKeySpec(KeyStoreError, ValueError):
    """A role, department or district that a key cannot have."""


class KeyNotFound(KeyStoreError, LookupError):
    """No key has that id."""


@dataclass(frozen=True)
class Principal:
    """Who a valid key says the caller is."""

    key_id: int
    role: str
    departments: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    name: str = ""

    @property
    def client(self) -> str:
        """The client id that scopes idempotency keys and names the actor in history."""
        return f"key:{self.key_id}"

    def may_file(self) -> bool:
        """Whether this caller may file cases."""
        return self.role in FILING_ROLES


@dataclass(frozen=True)
class KeyInfo:
    """A stored key as listed: never the key itself."""

    id: int
    name: str
    role: str
    departments: tuple[str, ...]
    districts: tuple[str, ...]
    key_prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class CreatedKey:
    """A new key: ``key`` is shown once and cannot be read back later."""

    key: str
    info: KeyInfo


def hash_key(key: str) -> str:
    """The SHA-256 hex digest stored for ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()


def check_spec(role: str, departments: Sequence[str], districts: Sequence[str]) -> None:
    """Refuse a role, department or district that makes no sense (InvalidKeySpec)."""
    if role not in ROLES:
        raise InvalidKeySpec(f"--role: unknown role {role!r}; use one of {', '.join(ROLES)}")
    for department in departments:
        if not department.strip():
            raise InvalidKeySpec("--department: must not be empty")
    for district in districts:
        if not _DISTRICT_RE.match(district):
            raise InvalidKeySpec(
                f"--district: {district!r} must be LAYER:CODE with a boundary layer code, "
                "e.g. ward:3"
            )
    if departments and role not in ("staff", "crew"):
        raise InvalidKeySpec(f"--department: applies to staff and crew keys, not {role}")
    if districts and role != "councilor":
        raise InvalidKeySpec(f"--district: applies to councilor keys, not {role}")
    if role in ("staff", "crew") and not departments:
        raise InvalidKeySpec(f"--department: a {role} key needs at least one department")
    if role == "councilor" and not districts:
        raise InvalidKeySpec("--district: a councilor key needs at least one district")


_COLUMNS = (
    "id, name, role, departments, districts, key_prefix, created_at, revoked_at, last_used_at"
)


def _info(row: dict[str, Any]) -> KeyInfo:
    return KeyInfo(
        id=row["id"], name=row["name"], role=row["role"],
        departments=tuple(row["departments"]), districts=tuple(row["districts"]),
        key_prefix=row["key_prefix"], created_at=row["created_at"],
        revoked_at=row["revoked_at"], last_used_at=row["last_used_at"],
    )


def create(
    conn: psycopg.Connection,
    *,
    role: str,
    departments: Sequence[str] = (),
    districts: Sequence[str] = (),
    name: str = "",
) -> CreatedKey:
    """Store a new key and return it (the only time the key itself is available)."""
    departments = [d.strip() for d in departments]
    districts = [d.strip() for d in districts]
    check_spec(role, departments, districts)
    if len(name) > 200:
        raise InvalidKeySpec("--name: at most 200 characters")
    while True:
        key = KEY_MARK + secrets.token_urlsafe(KEY_BYTES)
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "INSERT INTO gis311.api_key (name, role, departments, districts, key_prefix, "
                "key_hash) VALUES (%s, %s, %s, %s, %s, %s) "
                f"ON CONFLICT (key_prefix) DO NOTHING RETURNING {_COLUMNS}",
                (name, role, departments, districts, key[:PREFIX_LENGTH], hash_key(key)),
            ).fetchone()
        if row is not None:  # else the random prefix was taken: draw again
            return CreatedKey(key=key, info=_info(row))


_LOOKUP = (
    "SELECT id, name, role, departments, districts, key_hash FROM gis311.api_key "
    "WHERE key_prefix = %s AND revoked_at IS NULL"
)


def _principal(row: dict[str, Any] | None, key: str) -> Principal | None:
    if row is None or not hmac.compare_digest(row["key_hash"], hash_key(key)):
        return None
    return Principal(
        key_id=row["id"], role=row["role"], departments=tuple(row["departments"]),
        districts=tuple(row["districts"]), name=row["name"],
    )


async def verify_async(conn: psycopg.AsyncConnection, key: str) -> Principal | None:
    """``verify`` for an async connection (read only: it does not record the key's use)."""
    key = key.strip()
    if not _KEY_RE.match(key):
        return None
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_LOOKUP, (key[:PREFIX_LENGTH],))
        return _principal(await cur.fetchone(), key)


def verify(conn: psycopg.Connection, key: str) -> Principal | None:
    """The principal of ``key`` when it is a stored, unrevoked key; None otherwise."""
    key = key.strip()
    if not _KEY_RE.match(key):
        return None
    # A transaction block of its own: on an idle connection it commits here, so the route's
    # own `conn.transaction()` still opens (and commits) the outermost transaction.
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(_LOOKUP, (key[:PREFIX_LENGTH],)).fetchone()
        principal = _principal(row, key)
        if row is None or principal is None:
            return None
        cur.execute(
            "UPDATE gis311.api_key SET last_used_at = now() WHERE id = %s "
            "AND (last_used_at IS NULL OR last_used_at < now() - %s::interval)",
            (row["id"], LAST_USED_EVERY),
        )
    return principal


def list_keys(conn: psycopg.Connection) -> list[KeyInfo]:
    """Every key, oldest first (revoked ones included)."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(f"SELECT {_COLUMNS} FROM gis311.api_key ORDER BY id").fetchall()
    return [_info(r) for r in rows]


def revoke(conn: psycopg.Connection, key_id: int) -> KeyInfo:
    """Revoke key ``key_id`` (revoking it again changes nothing); its listing."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "UPDATE gis311.api_key SET revoked_at = COALESCE(revoked_at, now()) WHERE id = %s "
            f"RETURNING {_COLUMNS}",
            (key_id,),
        ).fetchone()
    if row is None:
        raise KeyNotFound(f"no API key has id {key_id}")
    return _info(row)
