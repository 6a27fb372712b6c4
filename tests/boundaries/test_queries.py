"""``boundaries.queries``: layers, versions, districts as GeoJSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import shapely
from psycopg import Connection

from boundaries import queries
from boundaries.errors import NotFound
from tests.boundaries.sources import fixture_features, load

Y2015 = datetime(2015, 5, 18, tzinfo=UTC)
Y2023 = datetime(2023, 1, 1, tzinfo=UTC)


def _two_versions(db: Connection) -> None:
    load(db, "ward", fixture_features("shared_edge.geojson"), source_name="old",
         valid_from=Y2015)
    load(db, "ward", fixture_features("gap.geojson"), source_name="new", valid_from=Y2023)


def test_layers_and_versions_are_listed(db: Connection) -> None:
    _two_versions(db)
    load(db, "precinct", fixture_features("overlap.geojson"))
    assert [layer.code for layer in queries.list_layers(db)] == ["precinct", "ward"]
    ward = queries.get_layer(db, "ward")
    versions = queries.list_versions(db, ward.id)
    assert [(v.label, v.valid_from, v.valid_to, v.feature_count) for v in versions] == [
        ("old", Y2015, Y2023, 2),
        ("new", Y2023, None, 4),
    ]
    assert len(queries.list_versions(db)) == 3


def test_unknown_layer_names_the_known_ones(db: Connection) -> None:
    _two_versions(db)
    with pytest.raises(NotFound, match="no boundary layer 'beat'; layers: ward"):
        queries.get_layer(db, "beat")


def test_feature_collection_of_the_version_in_force(db: Connection) -> None:
    _two_versions(db)
    old = json.loads(queries.feature_collection(db, "ward", datetime(2020, 1, 1, tzinfo=UTC)))
    assert old["type"] == "FeatureCollection"
    assert (old["layer"], old["version"], old["kind"]) == ("ward", "old", "ward")
    assert old["valid_to"] == Y2023.isoformat()
    assert [f["id"] for f in old["features"]] == ["10", "9"]
    first = old["features"][0]
    assert first["properties"]["name"] == "Ten"
    assert first["properties"]["source_properties"] == {"code": "10", "name": "Ten"}
    assert shapely.geometry.shape(first["geometry"]).equals(
        shapely.box(-71.11, 42.37, -71.10, 42.38)
    )
    now = json.loads(queries.feature_collection(db, "ward"))
    assert [f["id"] for f in now["features"]] == ["E", "N", "S", "W"]


def test_feature_by_code(db: Connection) -> None:
    _two_versions(db)
    feature = json.loads(queries.feature(db, "ward", "N"))
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["version"] == "new"
    with pytest.raises(NotFound, match="has no district '9'"):
        queries.feature(db, "ward", "9")


def test_no_version_in_force_is_not_found(db: Connection) -> None:
    _two_versions(db)
    with pytest.raises(NotFound, match="no version in force at 2001"):
        queries.feature_collection(db, "ward", datetime(2001, 1, 1, tzinfo=UTC))
