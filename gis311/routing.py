"""Route class shared by every router: strict JSON request bodies."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from psycopg import Connection
from psycopg.pq import TransactionStatus
from starlette.concurrency import run_in_threadpool


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity, which are not JSON (RFC 8259) and would reach
    # PostGIS as coordinates; refusing them here makes FastAPI answer 422.
    raise json.JSONDecodeError(f"{name} is not a valid JSON number", name, 0)


class StrictJSONRequest(Request):
    """A request whose JSON body must be RFC 8259 JSON (no NaN, Infinity or -Infinity)."""

    async def json(self) -> Any:
        """Parse the body, refusing the non-standard numeric constants."""
        if not hasattr(self, "_json"):
            body = await self.body()
            self._json = json.loads(body, parse_constant=_reject_constant)
        return self._json


class StrictJSONRoute(APIRoute):
    """APIRoute that hands its endpoint a ``StrictJSONRequest`` and commits the request's
    database connection (``gis311.deps.get_conn``) after the endpoint succeeded and before the
    response is sent."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            strict = StrictJSONRequest(request.scope, request.receive)
            response = await handler(strict)
            conn: Connection | None = getattr(strict.state, "connection", None)
            if conn is not None and conn.info.transaction_status == TransactionStatus.INTRANS:
                await run_in_threadpool(conn.commit)
            return response

        return strict_handler
