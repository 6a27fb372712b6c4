"""Who is calling: an API key sent as ``Authorization: Bearer <key>`` (Open311 clients may also
send it as ``api_key`` in the query string or the form body).

``resolve`` verifies the key once per request and remembers the answer on the request; the
FastAPI dependencies built on it (``PrincipalDep``, ``ClientDep``) live in ``gis311.deps``.
No key means the public. Roles are not enforced here: routes decide what a role may do.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from fastapi import Request
from psycopg import Connection
from psycopg_pool import AsyncConnectionPool

from gis311 import keys
from gis311.keys import Principal

__all__ = ["Principal", "api_key", "bearer_token", "resolve"]

_UNRESOLVED = object()


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def api_key(request: Request, form: Mapping[str, str] | None = None) -> str | None:
    """The key an Open311 client sent: bearer header, then ``api_key`` in the form, then in the
    query string."""
    for candidate in (
        bearer_token(request),
        form.get("api_key") if form is not None else None,
        request.query_params.get("api_key"),
    ):
        if candidate and candidate.strip():
            return candidate.strip()
    return None


# A verified key is trusted for this long by each server process before it is checked against
# the database again: a revoked key stops working within this time. Without it every request
# of a busy app would pay a transaction of its own for the lookup.
KEY_TTL = 5.0
_known: dict[str, tuple[float, Principal | None]] = {}


UNKNOWN = object()


def remembered(token: str) -> Principal | object | None:
    """What this process remembers of ``token``: its principal, None (invalid), or UNKNOWN."""
    _digest, hit = _recall(token)
    return hit[1] if hit is not None else UNKNOWN


def _recall(token: str) -> tuple[str, tuple[float, Principal | None] | None]:
    digest = keys.hash_key(token)
    hit = _known.get(digest)
    return digest, (hit if hit is not None and hit[0] > time.monotonic() else None)


def _remember(digest: str, principal: Principal | None) -> Principal | None:
    if len(_known) > 10_000:
        _known.clear()
    _known[digest] = (time.monotonic() + KEY_TTL, principal)
    return principal


def verify(conn: Connection, token: str) -> Principal | None:
    """``keys.verify`` remembered for ``KEY_TTL`` seconds (valid and invalid answers alike)."""
    digest, hit = _recall(token)
    if hit is not None:
        return hit[1]
    return _remember(digest, keys.verify(conn, token))


async def verify_async(pool: AsyncConnectionPool, token: str) -> Principal | None:
    """``verify`` on an async pool (the tile routes'), sharing its memory: a remembered key
    needs no connection at all."""
    digest, hit = _recall(token)
    if hit is not None:
        return hit[1]
    async with pool.connection() as conn:
        return _remember(digest, await keys.verify_async(conn, token))


def forget(token: str) -> None:
    """Drop a key from this process's memory of verified keys (after revoking it here)."""
    _known.pop(keys.hash_key(token), None)


def resolve(request: Request, conn: Connection, key: str | None = None) -> Principal | None:
    """The principal of ``key`` (default: the bearer token), or None for no or an invalid key.

    The first answer is kept on the request, so a route and its dependencies verify once.
    """
    cached = getattr(request.state, "principal", _UNRESOLVED)
    if cached is not _UNRESOLVED and key is None:
        assert cached is None or isinstance(cached, Principal)
        return cached
    token = key if key is not None else bearer_token(request)
    principal = verify(conn, token) if token else None
    if key is None:
        request.state.principal = principal
    return principal
