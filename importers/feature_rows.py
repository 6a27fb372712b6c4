"""Turn a batch of features (a GeoDataFrame in EPSG:4326) into staging rows for COPY.

A row is (feature index, id text, 2D WKB, raw attributes JSON keyed by attribute name, external
ids JSON keyed by file field). Values keep their JSON type (numbers stay numbers); the registry
checks and normalises them in SQL, so this module only makes them JSON-ready.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from registry.models import AssetType

Row = tuple[int, str | None, bytes | None, str, str]


def plain(value: Any) -> Any:
    """A JSON-ready Python value (None for the many spellings of missing)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def id_text(value: Any) -> str | None:
    """An id as text: ``122.0`` (a float column holding whole numbers) becomes ``"122"``."""
    value = plain(value)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() or None


def feature_rows(
    batch: gpd.GeoDataFrame, asset_type: AssetType, id_field: str | None
) -> Iterator[Row]:
    """The staging rows of one batch (its index being the features' 0-based file index)."""
    attrs = [
        (a.name, a.source_field)
        for a in asset_type.attribute_schema.fields
        if a.source_field in batch.columns
    ]
    ext_fields = [f for f in asset_type.external_id_fields if f in batch.columns]
    # 2D: the asset column has no Z; heights of streetlight poles are not locations.
    wkbs = shapely.to_wkb(np.asarray(batch.geometry.values), output_dimension=2)
    columns = {name: batch[name].to_numpy(dtype=object) for name in batch.columns
               if name != batch.geometry.name}
    for pos, index in enumerate(batch.index):
        raw = {}
        for name, source in attrs:
            value = plain(columns[source][pos])
            if value is not None:
                raw[name] = value
        ext = {}
        for name in ext_fields:
            text = id_text(columns[name][pos])
            if text is not None:
                ext[name] = text
        asset_id = id_text(columns[id_field][pos]) if id_field else None
        wkb = wkbs[pos]
        yield (
            int(index),
            asset_id,
            bytes(wkb) if wkb is not None else None,
            json.dumps(raw, ensure_ascii=False),
            json.dumps(ext, ensure_ascii=False),
        )
