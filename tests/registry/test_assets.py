"""Single assets: stable ids, validation against the type, history on every change."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from registry import assets, catalog, catalog_file
from registry.errors import Conflict, InvalidInput, NotFound
from tests.conftest import REPO

POINT = {"type": "Point", "coordinates": [-71.1387, 42.3996]}
LINE = {"type": "LineString", "coordinates": [[-71.1, 42.37], [-71.1005, 42.3702]]}


@pytest.fixture
def conn(db: psycopg.Connection) -> psycopg.Connection:
    catalog.load(db, catalog_file.read(REPO / "catalog.example.yaml"))
    return db


def test_create_get_and_created_history(conn: psycopg.Connection) -> None:
    asset = assets.create(
        conn, type_code="streetlight", asset_id="975-4A/B", geometry=POINT, actor="test",
        attributes={"lamps": "2", "led": "Yes", "owner": "City"},
        external_ids={"work_orders": 88123}, condition_score=70, condition_date="2024-05-01",
    )
    assert asset.asset_id == "975-4A/B" and asset.pk != asset.asset_id
    assert asset.attributes == {"lamps": 2, "led": True, "owner": "City"}
    assert asset.external_ids == {"work_orders": "88123"}
    assert asset.condition_date == date(2024, 5, 1) and asset.status == "active"
    assert assets.get(conn, "975-4A/B") == asset
    [entry] = assets.get_history(conn, "975-4A/B")
    assert entry.kind == "created" and entry.actor == "test" and entry.old is None
    assert entry.new is not None and entry.new["attributes"]["lamps"] == 2
    assert entry.new["geometry"]["type"] == "Point"


def test_generated_ids_are_typed_and_never_the_row_id(conn: psycopg.Connection) -> None:
    a = assets.create(conn, type_code="utility_pole", geometry=POINT, actor="t")
    b = assets.create(conn, type_code="utility_pole", geometry=POINT, actor="t")
    assert a.asset_id.startswith("utility_pole-") and len(a.asset_id) == len("utility_pole-") + 16
    assert a.asset_id != b.asset_id and str(a.pk) not in (a.asset_id, b.asset_id)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type_code": "bench"}, "unknown asset type"),
        ({"geometry": LINE}, "expected a point geometry, got LINESTRING"),
        ({"geometry": {"type": "Point", "coordinates": [42.3996, -171.1]}}, "out of range"),
        ({"geometry": {"type": "Point", "coordinates": [-71.1, 89.0]}}, "out of range"),
        ({"geometry": {"type": "Pointy", "coordinates": [1, 2]}}, "not valid GeoJSON"),
        ({"geometry": {"coordinates": [1, 2]}}, "GeoJSON geometry object"),
        ({"attributes": {"lamps": "two"}}, r"attributes\.lamps: expected an integer"),
        ({"attributes": {"colour": "red"}}, r"attributes\.colour: unknown attribute"),
        ({"status": "broken"}, "status: must be one of"),
        ({"condition_score": 101}, "condition_score"),
        ({"condition_date": "yesterday"}, "condition_date"),
        ({"asset_id": " padded"}, "asset_id"),
        ({"asset_id": "tab\there"}, "asset_id"),
        ({"external_ids": {"sys": ""}}, "external_ids.sys"),
    ],
)
def test_create_refuses_bad_input(conn: psycopg.Connection, kwargs: dict, message: str) -> None:
    args = {"type_code": "streetlight", "geometry": POINT, "actor": "t", **kwargs}
    with pytest.raises(InvalidInput, match=message):
        assets.create(conn, **args)


def test_polygon_validity_is_checked(conn: psycopg.Connection) -> None:
    conn.execute(
        "INSERT INTO registry.asset_type (code, name, department, geometry_kind, snap_radius_m) "
        "VALUES ('park', 'Park', 'Parks', 'polygon', 50)"
    )
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(InvalidInput, match="invalid geometry: Self-intersection"):
        assets.create(conn, type_code="park", geometry=bowtie, actor="t")
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    assert assets.create(conn, type_code="park", geometry=square, actor="t").geometry["type"] == (
        "Polygon"
    )


def test_duplicate_id_conflicts(conn: psycopg.Connection) -> None:
    assets.create(conn, type_code="streetlight", asset_id="791-2", geometry=POINT, actor="t")
    with pytest.raises(Conflict, match="already taken"):
        assets.create(conn, type_code="hydrant", asset_id="791-2", geometry=POINT, actor="t")


def test_update_records_only_what_changed(conn: psycopg.Connection) -> None:
    assets.create(
        conn, type_code="streetlight", asset_id="L1", geometry=POINT, actor="t",
        attributes={"lamps": 1, "fixture": "Cobrahead"},
    )
    moved = {"type": "Point", "coordinates": [-71.1386, 42.3996]}
    updated = assets.update(
        conn, "L1", {"attributes": {"lamps": 2, "fixture": None}, "geometry": moved},
        actor="crew-7",
    )
    assert updated.attributes == {"lamps": 2}
    latest = assets.get_history(conn, "L1")[0]
    assert latest.kind == "updated" and latest.actor == "crew-7"
    assert latest.old == {
        "geometry": POINT, "attributes": {"fixture": "Cobrahead", "lamps": 1}
    }
    assert latest.new == {"geometry": moved, "attributes": {"fixture": None, "lamps": 2}}


def test_unchanged_update_writes_nothing(conn: psycopg.Connection) -> None:
    asset = assets.create(
        conn, type_code="streetlight", asset_id="L2", geometry=POINT, actor="t",
        attributes={"lamps": 1},
    )
    same = assets.update(conn, "L2", {"attributes": {"lamps": "1"}, "geometry": POINT}, actor="t")
    assert same == asset
    assert len(assets.get_history(conn, "L2")) == 1


def test_retire_is_a_status_and_can_be_undone(conn: psycopg.Connection) -> None:
    assets.create(conn, type_code="hydrant", asset_id="H1", geometry=POINT, actor="t")
    assert assets.retire(conn, "H1", actor="t").status == "retired"
    assert assets.get(conn, "H1").status == "retired"
    back = assets.update(conn, "H1", {"status": "active"}, actor="t")
    assert back.status == "active"
    kinds = [e.kind for e in assets.get_history(conn, "H1")]
    assert kinds == ["restored", "retired", "created"]


def test_update_refusals(conn: psycopg.Connection) -> None:
    assets.create(conn, type_code="streetlight", asset_id="L3", geometry=POINT, actor="t")
    with pytest.raises(NotFound):
        assets.update(conn, "nope", {"status": "retired"}, actor="t")
    with pytest.raises(InvalidInput, match="cannot change type"):
        assets.update(conn, "L3", {"type": "hydrant"}, actor="t")
    with pytest.raises(InvalidInput, match="always has a geometry"):
        assets.update(conn, "L3", {"geometry": None}, actor="t")
    with pytest.raises(InvalidInput, match="expected a point"):
        assets.update(conn, "L3", {"geometry": LINE}, actor="t")
    with pytest.raises(NotFound):
        assets.get_history(conn, "nope")


def test_history_is_append_only(conn: psycopg.Connection) -> None:
    assets.create(conn, type_code="streetlight", asset_id="L4", geometry=POINT, actor="t")
    for statement in (
        "UPDATE registry.asset_history SET actor = 'someone else'",
        "DELETE FROM registry.asset_history",
        "TRUNCATE registry.asset_history CASCADE",
    ):
        with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"), \
                conn.transaction():
            conn.execute(statement)
