"""Feature batches become JSON-ready staging rows."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from importers.feature_rows import feature_rows, id_text, plain
from registry.models import AssetType, AttributeField, AttributeSchema


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None), (float("nan"), None), (pd.NaT, None), (np.int32(3), 3),
        (np.float64(2.5), 2.5), (np.bool_(True), True), (float("inf"), None),
        (pd.Timestamp("2023-02-16"), "2023-02-16T00:00:00"), (dt.date(2020, 1, 2), "2020-01-02"),
        ("x", "x"),
    ],
)
def test_plain(value: object, expected: object) -> None:
    assert plain(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(122.0, "122"), (449, "449"), (" 791-2 ", "791-2"), ("", None), (float("nan"), None),
     (1.5, "1.5")],
)
def test_id_text(value: object, expected: object) -> None:
    assert id_text(value) == expected


def test_rows() -> None:
    asset_type = AssetType(
        code="streetlight", name="S", department="E", geometry_kind="point",
        attribute_schema=AttributeSchema((
            AttributeField("lamps", "integer", source="NumLamps"),
            AttributeField("absent", "string", source="Nowhere"),
        )),
        snap_radius_m=30, external_id_fields=("Lamp1",),
    )
    batch = gpd.GeoDataFrame(
        {"PoleID": ["791-2", None], "NumLamps": [1.0, np.nan], "Lamp1": ["791-2", None]},
        geometry=[Point(-71.1, 42.3, 12.0), None], crs=4326, index=[40, 41],
    )
    first, second = feature_rows(batch, asset_type, "PoleID")
    assert first[:2] == (40, "791-2")
    assert first[2] is not None
    assert shapely.from_wkb(first[2]).has_z is False
    assert json.loads(first[3]) == {"lamps": 1.0} and json.loads(first[4]) == {"Lamp1": "791-2"}
    assert second == (41, None, None, "{}", "{}")
