"""The plain values the boundaries package takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

KINDS = (
    "council_district",
    "ward",
    "precinct",
    "police_district",
    "police_beat",
    "neighborhood",
    "service_area",
    "other",
)


@dataclass(frozen=True)
class Layer:
    """A boundary layer such as ``ward``: it has versions, each with its districts."""

    id: int
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class Version:
    """One map of a layer, in force during ``[valid_from, valid_to)``; None = unbounded."""

    id: int
    layer_id: int
    label: str
    valid_from: datetime | None
    valid_to: datetime | None
    source_name: str
    source_sha256: str
    feature_count: int
    imported_at: datetime

    def period_text(self) -> str:
        """``[2015-05-18 00:00:00+00:00, open)`` for messages, in UTC."""
        return period_text(self.valid_from, self.valid_to)


def period_text(start: datetime | None, end: datetime | None) -> str:
    """A validity period as text, in UTC whatever the database session's time zone."""
    first = start.astimezone(UTC).isoformat(" ") if start else "always"
    last = end.astimezone(UTC).isoformat(" ") if end else "open"
    return f"[{first}, {last})"


@dataclass(frozen=True)
class Assignment:
    """The district of one layer a point falls in."""

    layer: str
    code: str
    name: str
    version: str
    feature_id: int
    version_id: int
    layer_kind: str
    office_name: str | None = None
    office_email: str | None = None


@dataclass(frozen=True)
class SourceFeature:
    """One feature of a source file, ready to stage: geometry as 2D WKB in EPSG:4326."""

    index: int
    code: str
    name: str | None
    wkb: bytes | None
    properties: dict[str, Any] = field(default_factory=dict)
    office_name: str | None = None
    office_email: str | None = None


@dataclass(frozen=True)
class VersionSpec:
    """What an import creates: the layer (made when missing) and the new version."""

    layer: str
    source_name: str
    source_sha256: str
    label: str
    kind: str | None = None
    layer_name: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    source_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Repair:
    """An invalid source polygon made valid with ST_MakeValid."""

    index: int
    code: str
    reason: str
    dropped_parts: int


@dataclass(frozen=True)
class Merge:
    """Several source features sharing one code, stored as one district."""

    code: str
    indexes: tuple[int, ...]


@dataclass(frozen=True)
class Overlap:
    """Two districts of one version covering the same ground."""

    code_a: str
    code_b: str
    area_m2: float


@dataclass(frozen=True)
class Gap:
    """Ground enclosed by a version's districts but in none of them."""

    area_m2: float
    lon: float
    lat: float


@dataclass(frozen=True)
class ImportReport:
    """What an import did; ``unchanged`` when the identical file was already imported."""

    layer: Layer
    version: Version
    unchanged: bool
    source_features: int = 0
    closed: Version | None = None
    created_layer: bool = False
    repairs: list[Repair] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
