"""``/api/v1/assets``: assets as GeoJSON, their history, and the nearest ones to a point.

Asset ids may hold slashes (Cambridge's streetlight ``975-4A/B``), so the routes take the id as
a path; ``/nearest`` is declared first so it is never read as an id.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gis311 import access
from gis311.deps import ClientDep, ConnDep, PrincipalDep
from gis311.errors import ApiError
from gis311.keys import Principal
from gis311.routing import StrictJSONRoute
from registry import assets, catalog, listing
from registry.errors import NotFound
from registry.models import ASSET_STATUSES, Asset, HistoryEntry
from registry.nearest import MAX_RADIUS_M, nearest

router = APIRouter(prefix="/api/v1/assets", tags=["assets"], route_class=StrictJSONRoute)

# What a crew key may change on an asset of its departments.
CREW_FIELDS = frozenset({"condition_score", "condition_date"})
Status = Literal["planned", "active", "out_of_service", "retired"]


class GeoJSONResponse(JSONResponse):
    """JSON with the GeoJSON media type (RFC 7946)."""

    media_type = "application/geo+json"


class AssetProperties(BaseModel):
    """An asset's fields (the GeoJSON feature's properties)."""

    asset_id: str
    type: str
    status: str
    attributes: dict[str, Any]
    external_ids: dict[str, Any]
    condition_score: float | None
    condition_date: date | None
    created_at: datetime
    updated_at: datetime
    distance_m: float | None = Field(None, description="Only in /nearest answers: metres.")


class AssetFeature(BaseModel):
    """An asset as a GeoJSON Feature; its ``id`` is the public asset id."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any]
    properties: AssetProperties


class AssetCollection(BaseModel):
    """Assets as a GeoJSON FeatureCollection; ``next`` is the URL of the next page or null."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[AssetFeature]
    next: str | None = None


class AssetCreate(BaseModel):
    """A new asset. Without ``asset_id`` one is generated (``<type>-<16 hex digits>``)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="Asset type code, e.g. streetlight.")
    asset_id: str | None = Field(None, max_length=128)
    geometry: dict[str, Any] = Field(description="GeoJSON geometry in EPSG:4326.")
    status: Status = "active"
    attributes: dict[str, Any] = Field(default_factory=dict)
    external_ids: dict[str, str | int] = Field(default_factory=dict)
    condition_score: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    condition_date: date | None = None


class AssetUpdate(BaseModel):
    """Fields to change. ``attributes`` and ``external_ids`` merge key by key (null removes)."""

    model_config = ConfigDict(extra="forbid")

    geometry: dict[str, Any] | None = None
    status: Status | None = None
    attributes: dict[str, Any] | None = None
    external_ids: dict[str, str | int | None] | None = None
    condition_score: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)
    condition_date: date | None = None


class HistoryEntryPublic(BaseModel):
    """One change: when, who, what kind, and the changed fields before and after."""

    at: datetime
    actor: str
    kind: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


class AssetHistoryPublic(BaseModel):
    """An asset's history, newest first."""

    asset_id: str
    history: list[HistoryEntryPublic]


def feature(asset: Asset, distance_m: float | None = None) -> AssetFeature:
    """The GeoJSON feature of an asset."""
    return AssetFeature(
        id=asset.asset_id,
        geometry=asset.geometry,
        properties=AssetProperties(
            asset_id=asset.asset_id,
            type=asset.type_code,
            status=asset.status,
            attributes=asset.attributes,
            external_ids=asset.external_ids,
            condition_score=asset.condition_score,
            condition_date=asset.condition_date,
            created_at=asset.created_at,
            updated_at=asset.updated_at,
            distance_m=distance_m,
        ),
    )


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _bbox(value: str | None) -> listing.BBox | None:
    if not value:
        return None
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise ApiError("bbox must be minlon,minlat,maxlon,maxlat", status=422) from None
    return listing.check_bbox(numbers)


def _encode_cursor(after: listing.After) -> str:
    return base64.urlsafe_b64encode(json.dumps([after[0].isoformat(), after[1]]).encode()).decode()


def _decode_cursor(value: str | None) -> listing.After | None:
    if not value:
        return None
    try:
        at, asset_id = json.loads(base64.urlsafe_b64decode(value.encode()))
        return (datetime.fromisoformat(at), str(asset_id))
    except (ValueError, TypeError, binascii.Error):
        raise ApiError("cursor is not one this API issued", status=422) from None


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


Types = Annotated[str | None, Query(description="Comma list of asset type codes.")]


@router.get(
    "", summary="List assets (GeoJSON)", response_model=AssetCollection,
    response_class=GeoJSONResponse,
)
def list_assets(
    request: Request,
    conn: ConnDep,
    type: Types = None,
    status: Annotated[
        str | None, Query(description=f"Comma list of {', '.join(ASSET_STATUSES)}.")
    ] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    updated_after: Annotated[
        datetime | None, Query(description="Only assets changed after this time (no offset: UTC).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=listing.MAX_LIMIT)] = 100,
    cursor: Annotated[str | None, Query(description="The cursor of a `next` link.")] = None,
) -> AssetCollection:
    """Assets as a FeatureCollection, oldest change first; follow ``next`` for more."""
    where = listing.AssetFilter(
        types=_csv(type), statuses=_csv(status), bbox=_bbox(bbox),
        updated_after=_utc(updated_after),
    )
    page, after = listing.list_assets(conn, where, limit=limit, after=_decode_cursor(cursor))
    next_url = None
    if after is not None:
        next_url = str(request.url.include_query_params(cursor=_encode_cursor(after)))
    return AssetCollection(features=[feature(a) for a in page], next=next_url)


@router.post(
    "", status_code=201, summary="Register an asset", response_model=AssetFeature,
    response_class=GeoJSONResponse,
)
def create_asset(
    body: AssetCreate, conn: ConnDep, principal: PrincipalDep, client: ClientDep,
    response: Response,
) -> AssetFeature:
    """Register an asset; 409 when the id is taken, 422 when it breaks its type's rules.
    Needs a staff key of the type's department, or admin."""
    access.require(principal, access.ASSET_WRITERS, "register assets")
    try:
        department = catalog.get_asset_type(conn, body.type).department
    except NotFound:
        department = None  # assets.create explains the unknown type (422)
    if department is not None:
        _require_department(principal, department, "register assets of another department")
    asset = assets.create(
        conn,
        type_code=body.type,
        asset_id=body.asset_id,
        geometry=body.geometry,
        status=body.status,
        attributes=body.attributes,
        external_ids=body.external_ids,
        condition_score=body.condition_score,
        condition_date=body.condition_date,
        actor=client,
    )
    response.headers["Location"] = f"/api/v1/assets/{quote(asset.asset_id, safe='/')}"
    return feature(asset)


@router.get(
    "/nearest", summary="Nearest assets to a point", response_model=AssetCollection,
    response_class=GeoJSONResponse,
)
def nearest_assets(
    conn: ConnDep,
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False, description="Latitude.")],
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False, description="Longitude.")],
    type: Types = None,
    radius: Annotated[
        float | None,
        Query(gt=0, le=MAX_RADIUS_M, allow_inf_nan=False, description="Metres."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> AssetCollection:
    """Active assets nearest to (lat, lon), nearest first, each with ``distance_m`` in metres."""
    types = _csv(type) or None
    if types:
        catalog.require_asset_types(conn, types)
    found = nearest(conn, lon, lat, types=types, radius_m=radius, limit=limit)
    return AssetCollection(features=[feature(n.asset, n.distance_m) for n in found])


def _department(conn: ConnDep, asset: Asset) -> str:
    return catalog.get_asset_type(conn, asset.type_code).department


def _require_department(principal: Principal | None, department: str, action: str) -> None:
    if not access.in_departments(principal, department):
        raise access.Forbidden(f"this key may not {action} ({department})")


@router.get(
    "/{asset_id:path}/history", summary="An asset's history",
    description="For staff and crew keys of the asset type's department, and admin; for "
    "anyone else the history does not exist (404).",
)
def asset_history(
    asset_id: str, conn: ConnDep, principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AssetHistoryPublic:
    """Every recorded change of the asset, newest first."""
    asset = assets.get(conn, asset_id)
    if access.role(principal) not in access.ASSET_CONDITION_WRITERS or not (
        access.in_departments(principal, _department(conn, asset))
    ):
        raise NotFound(f"no history of asset {asset_id!r} for this key")
    entries: list[HistoryEntry] = assets.get_history(conn, asset_id, limit=limit)
    return AssetHistoryPublic(
        asset_id=asset_id,
        history=[HistoryEntryPublic(**e.__dict__) for e in entries],
    )


@router.get(
    "/{asset_id:path}", summary="One asset", response_model=AssetFeature,
    response_class=GeoJSONResponse,
)
def get_asset(asset_id: str, conn: ConnDep) -> AssetFeature:
    """The asset as a GeoJSON feature; 404 when there is none."""
    return feature(assets.get(conn, asset_id))


@router.patch(
    "/{asset_id:path}", summary="Change an asset", response_model=AssetFeature,
    response_class=GeoJSONResponse,
)
def update_asset(
    asset_id: str, body: AssetUpdate, conn: ConnDep, principal: PrincipalDep,
    client: ClientDep,
) -> AssetFeature:
    """Change fields; each change is recorded in the history. Retire with status=retired.
    Staff keys of the type's department and admin change anything; crew keys of the department
    record condition (condition_score, condition_date)."""
    access.require(principal, access.ASSET_CONDITION_WRITERS, "change assets")
    changes = body.model_dump(exclude_unset=True)
    _require_department(principal, _department(conn, assets.get(conn, asset_id)),
                        "change assets of another department")
    if access.role(principal) == "crew" and set(changes) - CREW_FIELDS:
        raise access.Forbidden(
            f"a crew key may change only {', '.join(sorted(CREW_FIELDS))} of an asset"
        )
    return feature(assets.update(conn, asset_id, changes, actor=client))
