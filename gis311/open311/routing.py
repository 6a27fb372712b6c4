"""The route class of the Open311 router: errors in the Open311 shape and the asked-for format.

GeoReport clients read ``[{"code": ..., "description": ...}]`` (or ``<errors>``), not
problem+json, and know 400, 403 and 404: the statuses come from the one table in
``gis311.errors`` and a 422 there (bad input) is a 400 here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

import psycopg
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gis311.errors import ApiError, RequestBodyTooLarge, status_for
from gis311.open311 import formats
from gis311.routing import StrictJSONRoute

log = logging.getLogger(__name__)


def status_and_description(request: Request, exc: Exception) -> tuple[int, str]:
    """The HTTP status and the description an exception becomes in an Open311 error."""
    if isinstance(exc, RequestValidationError):
        parts = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
            parts.append(f"{loc or 'request'}: {err.get('msg', 'invalid')}")
        return 400, "; ".join(parts)
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code, str(exc.detail)
    if isinstance(exc, psycopg.OperationalError):
        return 503, "the database is unavailable; try again shortly"
    status = exc.status if isinstance(exc, ApiError) else status_for(exc)
    if status is None or status >= 500:
        log.exception("error on %s", request.url.path, exc_info=exc)
        return 500, "internal server error"
    detail = getattr(exc, "detail", None) or str(exc)
    return (400 if status == 422 else status), str(detail)


class Open311Route(StrictJSONRoute):
    """A StrictJSONRoute whose errors are Open311 error documents."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def open311_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestBodyTooLarge:
                raise  # the body-limit middleware answers it
            except Exception as exc:
                status, description = status_and_description(request, exc)
                return formats.error(formats.of(request), status, description)

        return open311_handler
