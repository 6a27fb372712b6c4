"""Dependencies shared by the routers, declared once as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from psycopg import Connection
from psycopg_pool import ConnectionPool

from gis311 import access, auth
from gis311.keys import Principal
from gis311.settings import Settings


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_pool(request: Request) -> ConnectionPool:
    """The app's connection pool (opened by the lifespan)."""
    pool: ConnectionPool = request.app.state.pool
    return pool


def get_conn(
    request: Request, pool: Annotated[ConnectionPool, Depends(get_pool)]
) -> Iterator[Connection]:
    """A pooled connection for one request.

    FastAPI runs this teardown only after the response has been sent, too late to commit: a
    client must never be told "filed" before its case is committed. So the route class
    (``gis311.routing.StrictJSONRoute``) commits the request's connection when the endpoint
    returns, before the response goes out; whatever is left here (an error's work) rolls back.
    """
    with pool.connection() as conn:
        request.state.connection = conn
        try:
            yield conn
        finally:
            conn.rollback()


SettingsDep = Annotated[Settings, Depends(get_settings)]
PoolDep = Annotated[ConnectionPool, Depends(get_pool)]
ConnDep = Annotated[Connection, Depends(get_conn)]


def get_principal(request: Request, conn: ConnDep) -> Principal | None:
    """The caller's API key as a principal (``Authorization: Bearer <key>``); None: public.

    A bearer token that is no valid key is refused (401) rather than read as the public: a
    client whose key was revoked should learn it, not silently lose its scope.
    """
    principal = auth.resolve(request, conn)
    if principal is None and auth.bearer_token(request):
        raise access.AuthenticationRequired("the API key is not valid or has been revoked")
    return principal


PrincipalDep = Annotated[Principal | None, Depends(get_principal)]


def get_client(principal: PrincipalDep) -> str:
    """Who is calling: scopes idempotency keys and names the actor in history (``key:<id>``,
    or ``public`` without a key)."""
    return principal.client if principal is not None else "public"


ClientDep = Annotated[str, Depends(get_client)]
