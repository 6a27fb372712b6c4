"""Build source features and version specs for the boundaries tests."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import geopandas as gpd
import shapely
from psycopg import Connection
from shapely.geometry.base import BaseGeometry

from boundaries.models import ImportReport, SourceFeature, VersionSpec
from boundaries.store import import_version
from tests.conftest import FIXTURES


def square(x0: float, y0: float, size: float = 0.01) -> BaseGeometry:
    """An axis-aligned square in degrees."""
    return shapely.box(x0, y0, x0 + size, y0 + size)


def source(index: int, code: str, geometry: BaseGeometry | None, **extra: Any) -> SourceFeature:
    """One source feature."""
    return SourceFeature(
        index=index,
        code=code,
        name=extra.pop("name", None),
        wkb=shapely.to_wkb(geometry) if geometry is not None else None,
        properties=extra.pop("properties", {}),
        **extra,
    )


def fixture_features(name: str, code_field: str = "code") -> list[SourceFeature]:
    """The features of ``tests/fixtures/<name>`` (declared or default WGS84)."""
    frame = gpd.read_file(FIXTURES / name)
    records = json.loads(frame.drop(columns="geometry").to_json(orient="records"))
    return [
        source(
            int(index),
            str(row[code_field]),
            row.geometry,
            name=row.get("name"),
            properties=properties,
        )
        for (index, row), properties in zip(frame.iterrows(), records, strict=True)
    ]


def spec(layer: str, source_name: str = "test", **extra: Any) -> VersionSpec:
    """A version spec whose hash derives from the source name and label."""
    label = extra.pop("label", source_name)
    digest = hashlib.sha256(f"{source_name}/{label}".encode()).hexdigest()
    return VersionSpec(
        layer=layer, source_name=source_name, source_sha256=extra.pop("sha", digest),
        label=label, **extra,
    )


def load(
    db: Connection, layer: str, features: list[SourceFeature], **extra: Any
) -> ImportReport:
    """Import ``features`` as a version of ``layer``."""
    return import_version(db, spec(layer, **extra), [features])
