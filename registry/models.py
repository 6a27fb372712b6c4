"""The registry's records as plain dataclasses (what the functions return)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

GeometryKind = Literal["point", "line", "polygon"]
GEOMETRY_KINDS: tuple[str, ...] = ("point", "line", "polygon")

AttributeKind = Literal["string", "number", "integer", "boolean", "date", "enum"]
ATTRIBUTE_KINDS: tuple[str, ...] = ("string", "number", "integer", "boolean", "date", "enum")

ASSET_STATUSES: tuple[str, ...] = ("planned", "active", "out_of_service", "retired")

OPEN311_DATATYPES: tuple[str, ...] = (
    "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist",
)


@dataclass(frozen=True)
class AttributeField:
    """One attribute of an asset type's schema."""

    name: str
    type: str
    required: bool = False
    values: tuple[str, ...] = ()
    source: str | None = None
    description: str = ""

    @property
    def source_field(self) -> str:
        """The field of an import file the value comes from (the name unless ``source`` says)."""
        return self.source or self.name

    def to_json(self) -> dict[str, Any]:
        """The field as stored in ``asset_type.attribute_schema``."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        if self.values:
            out["values"] = list(self.values)
        if self.source:
            out["source"] = self.source
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class AttributeSchema:
    """The attributes an asset type's assets may carry, in display order."""

    fields: tuple[AttributeField, ...] = ()

    def get(self, name: str) -> AttributeField | None:
        """The field called ``name``, or None."""
        return next((f for f in self.fields if f.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The schema as stored in ``asset_type.attribute_schema``."""
        return {"fields": [f.to_json() for f in self.fields]}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> AttributeSchema:
        """Read the stored form back (trusted: it was checked when the catalog was loaded)."""
        fields = []
        for item in (data or {}).get("fields", []):
            fields.append(
                AttributeField(
                    name=item["name"],
                    type=item["type"],
                    required=bool(item.get("required", False)),
                    values=tuple(item.get("values", ())),
                    source=item.get("source"),
                    description=item.get("description", ""),
                )
            )
        return cls(tuple(fields))


@dataclass(frozen=True)
class AssetType:
    """A kind of asset a department owns (streetlight, hydrant, road_segment, ...)."""

    code: str
    name: str
    department: str
    geometry_kind: str
    attribute_schema: AttributeSchema
    snap_radius_m: float
    id_field: str | None = None
    external_id_fields: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class DedupRule:
    """When a new report repeats an open one.

    ``asset_based``: same asset; otherwise within ``radius_m`` metres. Either way inside the same
    feature of boundary layer ``scope_layer`` (when set) and filed within ``window``. A service
    without a rule has every field empty (the catalog file requires a window whenever a rule is
    given).
    """

    radius_m: float | None = None
    window: timedelta | None = None
    scope_layer: str | None = None
    asset_based: bool = False


@dataclass(frozen=True)
class Open311Value:
    """One choice of an Open311 list attribute."""

    key: str
    name: str


@dataclass(frozen=True)
class Open311Attribute:
    """An Open311 GeoReport v2 service attribute definition (a question asked of the reporter)."""

    code: str
    datatype: str
    required: bool = False
    order: int = 0
    description: str = ""
    datatype_description: str = ""
    variable: bool = True
    values: tuple[Open311Value, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The definition as stored in ``service.attributes`` (GeoReport v2 field names)."""
        return {
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "order": self.order,
            "description": self.description,
            "datatype_description": self.datatype_description,
            "variable": self.variable,
            "values": [{"key": v.key, "name": v.name} for v in self.values],
        }

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Open311Attribute:
        """Read the stored form back."""
        return cls(
            code=item["code"],
            datatype=item["datatype"],
            required=bool(item.get("required", False)),
            order=int(item.get("order", 0)),
            description=item.get("description", ""),
            datatype_description=item.get("datatype_description", ""),
            variable=bool(item.get("variable", True)),
            values=tuple(Open311Value(v["key"], v["name"]) for v in item.get("values", [])),
        )


@dataclass(frozen=True)
class Service:
    """A 311 service code and the rules cases of it follow."""

    code: str
    name: str
    description: str = ""
    group: str = ""
    keywords: tuple[str, ...] = ()
    asset_types: tuple[str, ...] = ()
    dedup: DedupRule = field(default_factory=DedupRule)
    sla_hours: float | None = None
    attributes: tuple[Open311Attribute, ...] = ()
    active: bool = True
    # The department that handles it (scope of staff and crew keys); the catalog loader
    # defaults it to the department of the service's first asset type.
    department: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Asset:
    """A registered physical asset. ``pk`` is the internal row id: never shown as its id."""

    pk: int
    asset_id: str
    type_code: str
    geometry: dict[str, Any]
    status: str
    attributes: dict[str, Any]
    external_ids: dict[str, Any]
    condition_score: float | None
    condition_date: date | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class HistoryEntry:
    """One append-only history row: who changed what, from what, to what."""

    at: datetime
    actor: str
    kind: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


@dataclass(frozen=True)
class NearestAsset:
    """An asset found by :func:`registry.nearest.nearest`, with its distance in metres."""

    asset: Asset
    distance_m: float

    @property
    def pk(self) -> int:
        """The asset's internal row id (for foreign keys)."""
        return self.asset.pk

    @property
    def asset_id(self) -> str:
        """The asset's public id."""
        return self.asset.asset_id

    @property
    def type_code(self) -> str:
        """The asset's type code."""
        return self.asset.type_code
