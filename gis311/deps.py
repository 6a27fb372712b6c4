"""Dependencies shared by the routers, declared once as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool

from gis311 import access, auth
from gis311.keys import Principal
from gis311.settings import Settings

T = TypeVar("T")


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_pool(request: Request) -> ConnectionPool:
    """The app's connection pool (opened by the lifespan)."""
    pool: ConnectionPool = request.app.state.pool
    return pool


class Database:
    """Runs a function on a pooled connection in a worker thread, committing when it returns.

    For hot routes: one trip to a worker thread per call, where a ``ConnDep`` route makes three
    (the dependency's enter and exit, and the endpoint). The commit happens inside ``run``, so
    before the route answers.
    """

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(conn, *args)`` in a worker thread; committed if it returns, else rolled back."""
        return await run_in_threadpool(self._call, fn, *args)

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        with self.pool.connection() as conn:
            try:
                result = fn(conn, *args)
            except BaseException:
                conn.rollback()
                raise
            if conn.info.transaction_status == TransactionStatus.INTRANS:
                conn.commit()
            return result


class BoundDatabase(Database):
    """A ``Database`` that runs everything on one given connection without committing (tests
    give it their rolled-back connection)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(conn, *args)`` in a worker thread, in the connection's own transaction."""
        return await run_in_threadpool(fn, self.conn, *args)


async def get_database(request: Request) -> Database:
    """The app's ``Database`` runner."""
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


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


async def get_principal(request: Request, database: DatabaseDep) -> Principal | None:
    """The caller's API key as a principal (``Authorization: Bearer <key>``); None: public.

    A bearer token that is no valid key is refused (401) rather than read as the public: a
    client whose key was revoked should learn it, not silently lose its scope. Async, so a
    remembered key costs no trip to a worker thread; only a lookup in the database does.
    """
    token = auth.bearer_token(request)
    if token is None:
        return None
    principal = auth.remembered(token)
    if principal is auth.UNKNOWN:
        principal = await database.run(auth.verify, token)
    if principal is None:
        raise access.AuthenticationRequired("the API key is not valid or has been revoked")
    assert isinstance(principal, Principal)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal | None, Depends(get_principal)]


async def get_client(principal: PrincipalDep) -> str:
    """Who is calling: scopes idempotency keys and names the actor in history (``key:<id>``,
    or ``public`` without a key)."""
    return principal.client if principal is not None else "public"


ClientDep = Annotated[str, Depends(get_client)]
