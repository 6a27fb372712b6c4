"""Every error the API returns is RFC 9457 ``application/problem+json``.

Lower packages raise their own exceptions and know nothing of HTTP; ``EXCEPTION_STATUS`` below is
the one place that decides which status each of them becomes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from boundaries import errors as boundaries_errors
from gis311 import access, keys
from gis311.notify import errors as notify_errors
from registry import errors as registry_errors
from tiles import errors as tile_errors

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ProblemResponse(JSONResponse):
    """A JSON response with the problem+json media type."""

    media_type = PROBLEM_JSON


class ApiError(Exception):
    """An error raised by the API layer itself, with the status it should get."""

    status = 400

    def __init__(self, detail: str, *, status: int | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.extra = extra


class RequestBodyTooLarge(StarletteHTTPException):
    """The request body is larger than ``GIS311_MAX_BODY_BYTES``.

    A subclass of Starlette's HTTPException so FastAPI passes it through unchanged when it
    surfaces while a route reads the body.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds the limit of {limit} bytes")


# Exception class -> HTTP status. Packages add their error classes here as they gain them; a
# subclass not listed inherits the status of its nearest listed base.
EXCEPTION_STATUS: dict[type[Exception], int] = {
    ApiError: 400,
    psycopg.OperationalError: 503,
    registry_errors.NotFound: 404,
    registry_errors.InvalidInput: 422,
    registry_errors.Conflict: 409,
    access.AuthenticationRequired: 401,
    access.Forbidden: 403,
    tile_errors.InvalidTile: 400,
    tile_errors.UnknownLayer: 404,
    boundaries_errors.NotFound: 404,
    boundaries_errors.InvalidInput: 422,
    boundaries_errors.Conflict: 409,
    keys.InvalidKeySpec: 422,
    keys.KeyNotFound: 404,
    notify_errors.NotFound: 404,
    notify_errors.InvalidInput: 422,
    notify_errors.Conflict: 409,
}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    """Build a problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _title(status),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return ProblemResponse(jsonable_encoder(body), status_code=status, headers=headers)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def status_for(exc: BaseException) -> int | None:
    """The status the table gives this exception (searching its bases), or None."""
    for cls in type(exc).__mro__:
        if cls in EXCEPTION_STATUS:
            return EXCEPTION_STATUS[cls]
    return None


def _validation_detail(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        msg = err.get("msg", "invalid")
        if err.get("type") == "json_invalid":
            msg = f"{msg}: {err.get('ctx', {}).get('error', '')}".rstrip(": ")
        parts.append(f"{loc}: {msg}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


async def _http_exception(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else _title(exc.status_code)
    if exc.status_code == 404 and exc.detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem(
        exc.status_code, detail, instance=request.url.path, headers=getattr(exc, "headers", None)
    )


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {k: v for k, v in err.items() if k in ("loc", "msg", "type", "ctx")}
        for err in exc.errors()
    ]
    return problem(
        422, _validation_detail(errors), instance=request.url.path, errors=jsonable_encoder(
            errors, custom_encoder={Exception: str, float: _finite_or_str}
        ),
    )


def _finite_or_str(value: float) -> float | str:
    return value if value == value and value not in (float("inf"), float("-inf")) else str(value)


async def _mapped_error(request: Request, exc: Exception) -> ProblemResponse:
    status = status_for(exc) or 500
    if status >= 500:
        log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
    detail = getattr(exc, "detail", None) or str(exc) or _title(status)
    if isinstance(exc, psycopg.OperationalError):
        detail = "the database is unavailable; try again shortly"
    extra = getattr(exc, "extra", {}) or {}
    if isinstance(exc, ApiError):
        status = exc.status
    headers = {"WWW-Authenticate": 'Bearer realm="gis311"'} if status == 401 else None
    return problem(status, detail, instance=request.url.path, headers=headers, **extra)


async def _unhandled(request: Request, exc: Exception) -> ProblemResponse:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem(500, "internal server error", instance=request.url.path)


async def answer(request: Request, exc: Exception) -> ProblemResponse:
    """The problem response the app's handlers give ``exc`` (for code outside its routing)."""
    if isinstance(exc, StarletteHTTPException):
        return await _http_exception(request, exc)
    if status_for(exc) is not None:
        return await _mapped_error(request, exc)
    return await _unhandled(request, exc)


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for cls in EXCEPTION_STATUS:
        app.add_exception_handler(cls, _mapped_error)
    app.add_exception_handler(Exception, _unhandled)
