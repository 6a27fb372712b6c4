"""``/api/v1/cases``: file cases, read them, change their status, link and split repeats."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from gis311 import access
from gis311.api import tiles
from gis311.deps import ClientDep, ConnDep, DatabaseDep, PrincipalDep, SettingsDep
from gis311.errors import ApiError
from gis311.routing import StrictJSONRoute
from registry import cases, intake

router = APIRouter(prefix="/api/v1/cases", tags=["cases"], route_class=StrictJSONRoute)

JSON = "application/json"


class Reporter(BaseModel):
    """Reporter contact: kept apart from the case, never returned by public endpoints."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=40)


class CaseCreate(BaseModel):
    """A report to file."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    service_code: str = Field(min_length=1, max_length=64)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    asset_id: str | None = Field(None, max_length=128, description="An asset the report is about.")
    description: str = Field("", max_length=intake.MAX_DESCRIPTION)
    address: str | None = Field(None, max_length=500)
    channel: Literal["phone", "web", "app", "email", "walk_in", "open311", "import"] = "web"
    attributes: dict[str, Any] = Field(default_factory=dict)
    media_urls: list[str] = Field(default_factory=list, max_length=20)
    language: str | None = Field(None, max_length=35)
    reporter: Reporter | None = None


class DistrictPublic(BaseModel):
    code: str
    name: str
    version: str


class AssetLink(BaseModel):
    asset_id: str
    type: str
    distance_m: float | None


class EventPublic(BaseModel):
    at: datetime
    kind: str
    actor: str
    note: str | None
    data: dict[str, Any]


class CasePublic(BaseModel):
    """A case as anyone may see it (no reporter contact)."""

    number: str
    service_code: str
    service_name: str
    description: str
    address: str | None
    channel: str
    status: Literal["open", "in_progress", "closed"]
    closure_reason: str | None
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None
    closed_at: datetime | None
    lat: float
    lon: float
    attributes: dict[str, Any]
    media_urls: list[str]
    language: str | None
    asset: AssetLink | None
    districts: dict[str, DistrictPublic]
    parent: str | None
    duplicate_count: int
    duplicates: list[str] | None = None
    history: list[EventPublic] | None = None


class CasesPage(BaseModel):
    cases: list[CasePublic]
    next: str | None


class CaseUpdate(BaseModel):
    """A status change and/or notes."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["open", "in_progress", "closed"] | None = None
    closure_reason: Literal["resolved", "invalid", "referred", "no_action"] | None = None
    note: str | None = Field(None, max_length=4000)
    internal_note: str | None = Field(None, max_length=4000)


class DuplicateOf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parent: str = Field(min_length=1, max_length=32, description="Number of the parent case.")
    note: str | None = Field(None, max_length=4000)


class SplitOff(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=4000)


def _json(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(content=text, status_code=status, media_type=JSON, headers=headers)


def _changed(request: Request, case_json: str) -> Response:
    """Answer with a case a route just changed, dropping this process's stale tiles of it."""
    case = json.loads(case_json)
    tiles.changed(request.app, "cases", case["lon"], case["lat"])
    return _json(case_json)


@router.post(
    "", status_code=201, response_model=CasePublic,
    summary="File a case",
    description=(
        "Validates the report, assigns its districts, links the asset (the one named, or the "
        "nearest active one the service attaches to), folds a repeat report into its parent, "
        "and stores everything in one transaction. Send an `Idempotency-Key` header so a "
        "retry returns the stored response instead of filing twice. Needs a reporter_app, "
        "staff or admin key."
    ),
)
async def create_case(
    request: Request,
    body: CaseCreate,
    database: DatabaseDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    client: ClientDep,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
    ] = None,
) -> Response:
    access.require(principal, access.FILING_ROLES, "file cases")
    report = intake.CaseReport(
        service_code=body.service_code, lon=body.lon, lat=body.lat,
        description=body.description, address=body.address, channel=body.channel,
        attributes=body.attributes, media_urls=body.media_urls, language=body.language,
        asset_id=body.asset_id,
        contact=intake.Contact(**body.reporter.model_dump()) if body.reporter else None,
    )
    # The hot path: async, with the one database call in one worker-thread trip.
    filed = await database.run(partial(
        intake.file_case, report=report, client=client, actor=client,
        jurisdiction_layer=settings.jurisdiction_layer, idempotency_key=idempotency_key,
    ))
    if not filed.replayed:
        tiles.changed(request.app, "cases", body.lon, body.lat)
    return _json(filed.case_json, 201, {"Location": f"/api/v1/cases/{filed.number}"})


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in value.split(","))
    except ValueError:
        raise ApiError("bbox must be minlon,minlat,maxlon,maxlat", status=422) from None
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ApiError("bbox must be minlon,minlat,maxlon,maxlat within range", status=422)
    return (minx, miny, maxx, maxy)


def _district(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    layer, sep, code = value.partition(":")
    if not sep or not layer or not code:
        raise ApiError("district must be <layer>:<code>, e.g. ward:3", status=422)
    return (layer, code)


def _cursor(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    try:
        at, ident = json.loads(base64.urlsafe_b64decode(value.encode()))
        datetime.fromisoformat(at)
        return (str(at), int(ident))
    except (ValueError, TypeError, binascii.Error):
        raise ApiError("cursor is not one this API issued", status=422) from None


@router.get(
    "", response_model=CasesPage, summary="List cases, newest first",
    description="A councilor key lists only its districts' cases; staff and crew keys only "
    "their departments' services.",
)
def list_cases(
    request: Request,
    conn: ConnDep,
    principal: PrincipalDep,
    status: Annotated[str | None, Query(description="Comma list: open,in_progress,closed")] = None,
    service_code: Annotated[str | None, Query(description="Comma list of service codes")] = None,
    district: Annotated[str | None, Query(description="<layer>:<code>, e.g. ward:3")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    asset_id: str | None = None,
    parent: Annotated[str | None, Query(description="Repeat reports of this case")] = None,
    requested_after: datetime | None = None,
    requested_before: datetime | None = None,
    updated_after: datetime | None = None,
    updated_before: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="The `next` cursor of a page")] = None,
) -> Response:
    statuses = _csv(status)
    unknown = set(statuses) - set(cases.STATUSES)
    if unknown:
        raise ApiError(f"unknown status {sorted(unknown)}; use {cases.STATUSES}", status=422)
    where = cases.CaseFilter(
        status=statuses, service_code=_csv(service_code), district=_district(district),
        bbox=_bbox(bbox), asset_id=asset_id, parent=parent,
        requested_after=requested_after, requested_before=requested_before,
        updated_after=updated_after, updated_before=updated_before,
    )
    page, after = cases.list_cases(
        conn, where, limit=limit, after=_cursor(cursor), scope=access.case_scope(principal)
    )
    next_url = None
    if after is not None:
        token = base64.urlsafe_b64encode(json.dumps(list(after)).encode()).decode()
        next_url = str(request.url.include_query_params(cursor=token))
    return _json('{"cases":[' + ",".join(page) + '],"next":' + json.dumps(next_url) + "}")


@router.get(
    "/{number}", response_model=CasePublic, summary="One case with its history",
    description="Outside the key's scope a case answers 404, as if it did not exist.",
)
def get_case(number: str, conn: ConnDep, principal: PrincipalDep) -> Response:
    return _json(cases.get_case(conn, number, scope=access.case_scope(principal)))


def _may_change(
    conn: ConnDep, principal: PrincipalDep, number: str, roles: tuple[str, ...], action: str
) -> cases.CaseScope:
    """The caller's scope when its role may ``action``; else 404 out of scope, 401/403 in."""
    scope = access.case_scope(principal)
    if access.role(principal) not in roles:
        cases.get_case(conn, number, detail=False, scope=scope)  # 404 when out of scope
        access.require(principal, roles, action)
    return scope


@router.patch("/{number}", response_model=CasePublic, summary="Change status, add notes")
def update_case(
    request: Request, number: str, body: CaseUpdate, conn: ConnDep, principal: PrincipalDep,
    client: ClientDep,
) -> Response:
    if not body.model_fields_set:
        raise ApiError("nothing to change", status=422)
    scope = _may_change(conn, principal, number, access.CASE_WRITERS, "change cases")
    return _changed(request, cases.update_case(
        conn, number, actor=client, status=body.status, closure_reason=body.closure_reason,
        note=body.note, internal_note=body.internal_note, scope=scope,
    ))


@router.post(
    "/{number}/duplicate-of", response_model=CasePublic,
    summary="Mark a case a repeat report of another",
)
def duplicate_of(
    request: Request, number: str, body: DuplicateOf, conn: ConnDep, principal: PrincipalDep,
    client: ClientDep,
) -> Response:
    scope = _may_change(conn, principal, number, access.CASE_LINKERS, "link repeat reports")
    return _changed(request, cases.mark_duplicate(
        conn, number, body.parent, actor=client, note=body.note, scope=scope))


@router.post("/{number}/split", response_model=CasePublic, summary="Split a repeat report off")
def split(
    request: Request, number: str, body: SplitOff, conn: ConnDep, principal: PrincipalDep,
    client: ClientDep,
) -> Response:
    scope = _may_change(conn, principal, number, access.CASE_LINKERS, "split repeat reports")
    return _changed(request, cases.split_case(
        conn, number, actor=client, note=body.note, scope=scope))
