"""Who is calling: an API key sent as ``Authorization: Bearer <key>`` (Open311 clients may also
send it as ``api_key`` in the query string or the form body).

``resolve`` verifies the key once per request and remembers the answer on the request; the
FastAPI dependencies built on it (``PrincipalDep``, ``ClientDep``) live in ``gis311.deps``.
No key means the public. Roles are not enforced here: routes decide what a role may do.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from psycopg import Connection

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


def resolve(request: Request, conn: Connection, key: str | None = None) -> Principal | None:
    """The principal of ``key`` (default: the bearer token), or None for no or an invalid key.

    The first answer is kept on the request, so a route and its dependencies verify once.
    """
    cached = getattr(request.state, "principal", _UNRESOLVED)
    if cached is not _UNRESOLVED and key is None:
        assert cached is None or isinstance(cached, Principal)
        return cached
    token = key if key is not None else bearer_token(request)
    principal = keys.verify(conn, token) if token else None
    if key is None:
        request.state.principal = principal
    return principal
