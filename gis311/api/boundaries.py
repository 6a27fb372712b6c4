"""``/api/v1/boundaries``: district lookup, layers and their versions, districts as GeoJSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from boundaries import queries
from boundaries.assign import assign
from gis311.deps import ConnDep
from gis311.routing import StrictJSONRoute

router = APIRouter(prefix="/api/v1/boundaries", tags=["boundaries"], route_class=StrictJSONRoute)

GEOJSON = "application/geo+json"

Lat = Annotated[
    float, Query(ge=-90, le=90, allow_inf_nan=False, description="Latitude, EPSG:4326 degrees.")
]
Lon = Annotated[
    float,
    Query(ge=-180, le=180, allow_inf_nan=False, description="Longitude, EPSG:4326 degrees."),
]
At = Annotated[
    datetime | None,
    Query(description="ISO 8601 time whose boundary versions apply (default now; no offset "
          "means UTC)."),
]


class DistrictPublic(BaseModel):
    """The district of one layer a point falls in."""

    code: str
    name: str
    version: str


class LookupPublic(BaseModel):
    """The districts containing a point at a time, keyed by layer code."""

    lat: float
    lon: float
    at: datetime
    districts: dict[str, DistrictPublic]


class VersionPublic(BaseModel):
    """One version of a layer; ``valid_from``/``valid_to`` null = unbounded."""

    label: str
    valid_from: datetime | None
    valid_to: datetime | None
    feature_count: int
    source_name: str
    imported_at: datetime


class LayerPublic(BaseModel):
    """A boundary layer with its versions, oldest first."""

    code: str
    name: str
    kind: str
    versions: list[VersionPublic]


class LayersPublic(BaseModel):
    """Every boundary layer."""

    layers: list[LayerPublic]


def _utc(moment: datetime | None) -> datetime | None:
    # Answers speak UTC whatever time zone the database session has.
    return moment.astimezone(UTC) if moment else None


def _when(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@router.get("/lookup", summary="Districts containing a point")
def lookup(conn: ConnDep, lat: Lat, lon: Lon, at: At = None) -> LookupPublic:
    """Every layer's district containing (lat, lon) in the version in force at ``at``.

    A layer with no district there is absent from ``districts``. A point on an edge shared by
    two districts belongs to the one whose code sorts first (byte order).
    """
    when = _when(at)
    found = assign(conn, lon, lat, when)
    return LookupPublic(
        lat=lat,
        lon=lon,
        at=when,
        districts={
            layer: DistrictPublic(code=a.code, name=a.name, version=a.version)
            for layer, a in found.items()
        },
    )


@router.get("", summary="Boundary layers and their versions")
def list_layers(conn: ConnDep) -> LayersPublic:
    """Every layer with its versions and their validity periods."""
    versions = queries.list_versions(conn)
    return LayersPublic(
        layers=[
            LayerPublic(
                code=layer.code,
                name=layer.name,
                kind=layer.kind,
                versions=[
                    VersionPublic(
                        label=v.label,
                        valid_from=_utc(v.valid_from),
                        valid_to=_utc(v.valid_to),
                        feature_count=v.feature_count,
                        source_name=v.source_name,
                        imported_at=v.imported_at.astimezone(UTC),
                    )
                    for v in versions
                    if v.layer_id == layer.id
                ],
            )
            for layer in queries.list_layers(conn)
        ]
    )


_GEOJSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {}}, "description": "GeoJSON (RFC 7946)"}
}


@router.get(
    "/{layer}",
    summary="Districts of a layer as a GeoJSON FeatureCollection",
    response_class=Response,
    responses=_GEOJSON_RESPONSE,
)
def layer_features(conn: ConnDep, layer: str, at: At = None) -> Response:
    """The districts of the version of ``layer`` in force at ``at`` (default now)."""
    body = queries.feature_collection(conn, layer, _when(at))
    return Response(content=body, media_type=GEOJSON)


@router.get(
    "/{layer}/{code}",
    summary="One district as a GeoJSON Feature",
    response_class=Response,
    responses=_GEOJSON_RESPONSE,
)
def layer_feature(conn: ConnDep, layer: str, code: str, at: At = None) -> Response:
    """The district ``code`` of the version of ``layer`` in force at ``at`` (default now)."""
    body = queries.feature(conn, layer, code, _when(at))
    return Response(content=body, media_type=GEOJSON)
