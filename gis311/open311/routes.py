"""``/open311/v2``: the GeoReport v2 resources, each as ``.xml``, ``.json`` or bare (JSON).

Reads need no key. POST requests needs the ``api_key`` of a key that may file (reporter_app,
staff, admin) and goes through the same intake as ``/api/v1/cases`` (districts, asset, repeat
reports, idempotency), on the channel ``open311``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from psycopg import Connection

from gis311 import access, auth
from gis311.api import tiles
from gis311.deps import ConnDep, SettingsDep
from gis311.errors import ApiError
from gis311.open311 import formats, media, params, queries, reports, schemas
from gis311.open311.reports import PostBody
from gis311.open311.routing import Open311Route
from gis311.settings import Settings
from registry import geocode, intake
from registry.cases import PUBLIC, CaseNotFound, CaseScope

PREFIX = "/open311/v2"
FORMAT_NOTE = " Append `.xml` or `.json` to choose the format (none: JSON)."


def _jurisdiction(value: str | None, settings: Settings) -> None:
    if value and value.strip() and value.strip() != settings.open311_jurisdiction_id:
        raise ApiError(
            f"unknown jurisdiction_id {value.strip()!r}; this endpoint serves "
            f"{settings.open311_jurisdiction_id!r}", status=404,
        )


def check_jurisdiction(request: Request, settings: SettingsDep) -> None:
    """404 for a ``jurisdiction_id`` other than this service's (absent or empty: fine)."""
    _jurisdiction(request.query_params.get("jurisdiction_id"), settings)


router = APIRouter(
    prefix=PREFIX, tags=["open311"], route_class=Open311Route,
    dependencies=[Depends(check_jurisdiction)],
)


def _each_format(path: str, method: str, summary: str, status: int = 200) -> Callable[
    [Callable[..., Response]], Callable[..., Response]
]:
    """Register an endpoint at ``path``, ``path.json`` and ``path.xml``."""
    def register(endpoint: Callable[..., Response]) -> Callable[..., Response]:
        for suffix in ("", ".json", ".xml"):
            router.add_api_route(
                path + suffix, endpoint, methods=[method], summary=summary,
                description=(endpoint.__doc__ or "") + FORMAT_NOTE, status_code=status,
                include_in_schema=bool(suffix), response_class=Response,
            )
        return endpoint
    return register


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@_each_format("/discovery", "GET", "Service discovery")
def discovery(request: Request, conn: ConnDep, settings: SettingsDep) -> Response:
    """Where this endpoint is, which formats it speaks, and when its services last changed."""
    doc = schemas.discovery(
        _base(request) + PREFIX, queries.changeset(conn), settings.open311_contact
    )
    return formats.respond(formats.of(request), "discovery", doc)


@_each_format("/services", "GET", "Service list")
def service_list(request: Request, conn: ConnDep) -> Response:
    """The active services: code, name, group, keywords, and whether they take attributes."""
    services = [schemas.service(row) for row in queries.services(conn)]
    return formats.respond(formats.of(request), "services", services)


@router.get(
    "/services/{service_code}", summary="Service definition", response_class=Response,
    description="The attributes a report of the service carries." + FORMAT_NOTE,
)
def service_definition(service_code: str, request: Request, conn: ConnDep) -> Response:
    code, fmt = formats.split(service_code)
    rows = queries.services(conn, code)
    if not rows:
        raise ApiError(f"unknown service_code {code!r}", status=404)
    return formats.respond(fmt, "service_definition", schemas.definition(rows[0]))


async def post_body(request: Request, settings: SettingsDep) -> PostBody:
    """The POST body, read in the event loop (the route itself runs in a worker thread)."""
    return await reports.read_body(request, settings.media_max_bytes)


@_each_format("/requests", "POST", "Post a service request", status=201)
def post_request(
    request: Request,
    body: Annotated[PostBody, Depends(post_body)],
    conn: ConnDep,
    settings: SettingsDep,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
    ] = None,
) -> Response:
    """File a request: form-encoded (or multipart with a `media` photo, or JSON) with `api_key`,
    `service_code`, `lat` and `long` (or an `address_string`), `attribute[CODE]`,
    `description`, `media_url` and the reporter's `email`, `first_name`, `last_name`, `phone`,
    `device_id`, `account_id` (kept private)."""
    reports.check_lengths(body)
    key = auth.api_key(request, body.singles())
    if key is None:
        raise ApiError("api_key is required to post a service request", status=403)
    principal = auth.resolve(request, conn, key)
    if principal is None:
        raise ApiError("api_key is not valid (unknown or revoked)", status=403)
    if not principal.may_file():
        raise ApiError(f"a {principal.role} key may not post service requests", status=403)
    _jurisdiction(body.first("jurisdiction_id"), settings)
    report = _report(request, body, conn, settings)
    filed = intake.file_case(
        conn, report, client=principal.client, actor=principal.client,
        jurisdiction_layer=settings.jurisdiction_layer, idempotency_key=idempotency_key,
    )
    if not filed.replayed:
        tiles.changed(request.app, "cases", report.lon, report.lat)
    parent = filed.case.get("parent")
    notice = (f"Already reported as request {parent}; this report was added to it."
              if parent else None)
    return formats.respond(
        formats.of(request), "service_requests", [schemas.created(filed.number, notice)], 201
    )


def _report(
    request: Request, body: PostBody, conn: Connection, settings: Settings
) -> intake.CaseReport:
    service_code = body.first("service_code")
    if service_code is None:
        raise params.bad("service_code is required")
    answers, asset_id = reports.attributes(body)
    address = body.first("address_string")
    point = reports.location(body)
    if point is None:
        if address is None:
            raise params.bad(
                "a location is required: lat and long, or an address_string"
                + (" (address_id cannot be resolved here)" if body.first("address_id") else "")
            )
        found = geocode.geocode(conn, address)
        point = (found.lon, found.lat)
    urls = reports.media_urls(body)
    if body.media is not None:
        name = media.store(settings.media_path, body.media)
        urls.insert(0, f"{_base(request)}/media/{name}")
    return intake.CaseReport(
        service_code=service_code, lon=point[0], lat=point[1],
        description=body.first("description") or "", address=address, channel="open311",
        attributes=answers, media_urls=urls, asset_id=asset_id, contact=reports.contact(body),
    )


def _scope(request: Request, conn: ConnDep) -> CaseScope:
    """The requests the caller may read: all without a key; a councilor's districts, a staff
    or crew key's departments (an invalid key is refused with 403, as for POST)."""
    key = auth.api_key(request)
    if key is None:
        return PUBLIC
    principal = auth.resolve(request, conn, key)
    if principal is None:
        raise ApiError("api_key is not valid", status=403)
    return access.case_scope(principal)


@_each_format("/requests", "GET", "Service requests")
def request_list(request: Request, conn: ConnDep) -> Response:
    """Requests, newest first: `service_request_id` (comma list, overrides the rest),
    `service_code`, `status` (open, closed), `start_date`/`end_date` (default: the last 90
    days), `updated_after`/`updated_before`, `bbox=minlon,minlat,maxlon,maxlat`,
    `lat`/`long`/`radius` (metres, default 500), `page`/`page_size` (default 50, at most 500;
    without them at most 1000 requests), `extensions=true` (districts, asset, duplicate,
    parent, channel, notes)."""
    query = params.request_query(request.query_params, datetime.now(UTC))
    rows = queries.requests(conn, query, _scope(request, conn))
    docs = [schemas.request(row, query.extensions) for row in rows]
    return formats.respond(formats.of(request), "service_requests", docs)


@router.get(
    "/requests/{service_request_id}", summary="One service request", response_class=Response,
    description="An array of one request (`extensions=true` adds districts, asset, "
                "duplicate, parent, channel and notes)." + FORMAT_NOTE,
)
def request_one(service_request_id: str, request: Request, conn: ConnDep) -> Response:
    number, fmt = formats.split(service_request_id)
    extensions = params.flag("extensions", request.query_params.get("extensions"))
    rows = queries.requests(
        conn, params.RequestQuery(ids=[number], extensions=extensions, limit=1),
        _scope(request, conn),
    )
    if not rows:
        raise CaseNotFound(f"no service request {number!r}")
    return formats.respond(fmt, "service_requests", [schemas.request(rows[0], extensions)])


@router.get(
    "/tokens/{token}", summary="Service request id from a token", response_class=Response,
    description="Requests are filed at once, so a token is the request's id." + FORMAT_NOTE,
)
def token(token: str, request: Request, conn: ConnDep) -> Response:
    value, fmt = formats.split(token)
    number = queries.token(conn, value, _scope(request, conn))
    if number is None:
        raise ApiError(f"unknown token {value!r}", status=404)
    doc: list[dict[str, Any]] = [{"service_request_id": number, "token": value}]
    return formats.respond(fmt, "service_requests", doc)
