"""``/api/v1/asset-types``: the catalog's asset types."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from gis311.deps import ConnDep
from gis311.routing import StrictJSONRoute
from registry import catalog
from registry.models import AssetType

router = APIRouter(prefix="/api/v1/asset-types", tags=["assets"], route_class=StrictJSONRoute)


class AttributeFieldPublic(BaseModel):
    """One attribute of an asset type's schema."""

    name: str
    type: str
    required: bool
    values: list[str] | None = None
    source: str | None = None
    description: str = ""


class AssetTypePublic(BaseModel):
    """An asset type: geometry kind, attribute schema, snapping radius, services it receives."""

    code: str
    name: str
    department: str
    geometry_kind: str
    snap_radius_m: float
    id_field: str | None
    external_id_fields: list[str]
    attributes: list[AttributeFieldPublic]
    service_codes: list[str]


class AssetTypesPublic(BaseModel):
    """Every asset type, by code."""

    asset_types: list[AssetTypePublic]


def type_public(t: AssetType) -> AssetTypePublic:
    """The public view of an asset type."""
    fields: list[dict[str, Any]] = [f.to_json() for f in t.attribute_schema.fields]
    return AssetTypePublic(
        code=t.code,
        name=t.name,
        department=t.department,
        geometry_kind=t.geometry_kind,
        snap_radius_m=t.snap_radius_m,
        id_field=t.id_field,
        external_id_fields=list(t.external_id_fields),
        attributes=[AttributeFieldPublic(**f) for f in fields],
        service_codes=list(t.service_codes),
    )


@router.get("", summary="Asset types")
def list_asset_types(conn: ConnDep) -> AssetTypesPublic:
    """Every asset type with its attribute schema and the active services it receives."""
    return AssetTypesPublic(asset_types=[type_public(t) for t in catalog.list_asset_types(conn)])


@router.get("/{code}", summary="One asset type")
def get_asset_type(code: str, conn: ConnDep) -> AssetTypePublic:
    """The asset type ``code``; 404 when there is none."""
    return type_public(catalog.get_asset_type(conn, code))
