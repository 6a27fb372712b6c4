"""``boundaries.store``: layers, versions and their periods, districts and their parts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import Connection

from boundaries.errors import Conflict, InvalidInput
from boundaries.models import SourceFeature
from boundaries.store import import_version
from tests.boundaries.sources import fixture_features, load, source, spec, square

X, Y = -71.12, 42.37
Y2015 = datetime(2015, 5, 18, tzinfo=UTC)
Y2023 = datetime(2023, 1, 1, tzinfo=UTC)


def _two_wards() -> list[SourceFeature]:
    return [source(0, "1", square(X, Y)), source(1, "2", square(X + 0.01, Y))]


def test_import_merges_features_sharing_a_code(db: Connection) -> None:
    report = load(db, "ward", fixture_features("multipart_district.geojson"))
    assert not report.unchanged and report.created_layer
    assert report.source_features == 4
    assert [(m.code, m.indexes) for m in report.merges] == [("A", (0, 2, 3))]
    assert report.version.feature_count == 2
    rows = db.execute(
        "SELECT code, name, ST_GeometryType(geom), ST_NumGeometries(geom), ST_SRID(geom_3857), "
        "(SELECT count(*) FROM boundaries.feature_part p WHERE p.feature_id = f.id) "
        "FROM boundaries.feature f WHERE version_id = %s ORDER BY code",
        (report.version.id,),
    ).fetchall()
    # A: the west square, and the two stacked east squares dissolved into one rectangle.
    assert rows == [
        ("A", "Alpha west", "ST_MultiPolygon", 2, 3857, 2),
        ("B", "Beta", "ST_MultiPolygon", 1, 3857, 1),
    ]


def test_new_layer_gets_kind_and_name_from_its_code(db: Connection) -> None:
    ward = load(db, "ward", _two_wards()).layer
    assert (ward.kind, ward.name) == ("ward", "Ward")
    beat = load(db, "beat_sector", _two_wards()).layer
    assert (beat.kind, beat.name) == ("other", "Beat sector")
    names = db.execute(
        "SELECT name FROM boundaries.feature WHERE version_id = "
        "(SELECT id FROM boundaries.version WHERE layer_id = %s) ORDER BY code",
        (ward.id,),
    ).fetchall()
    assert names == [("Ward 1",), ("Ward 2",)]


def test_identical_source_changes_nothing_and_is_not_read(db: Connection) -> None:
    first = load(db, "ward", _two_wards(), source_name="wards.geojson")

    def unreadable() -> Iterator[list[SourceFeature]]:
        raise AssertionError("the source must not be read again")
        yield []

    again = import_version(db, spec("ward", source_name="wards.geojson"), unreadable())
    assert again.unchanged
    assert again.version == first.version
    assert db.execute("SELECT count(*) FROM boundaries.version").fetchone() == (1,)


def test_version_with_valid_from_closes_the_open_version(db: Connection) -> None:
    old = load(db, "ward", _two_wards(), source_name="2015", valid_from=Y2015)
    new = load(db, "ward", _two_wards(), source_name="2023", valid_from=Y2023)
    assert new.closed is not None and new.closed.id == old.version.id
    assert new.closed.valid_to == Y2023
    assert (new.version.valid_from, new.version.valid_to) == (Y2023, None)


def test_first_version_without_dates_is_in_force_since_always(db: Connection) -> None:
    report = load(db, "ward", _two_wards())
    assert (report.version.valid_from, report.version.valid_to) == (None, None)
    later = load(db, "ward", _two_wards(), source_name="new", valid_from=Y2023)
    assert later.closed is not None
    assert (later.closed.valid_from, later.closed.valid_to) == (None, Y2023)


def test_second_open_version_without_valid_from_is_a_conflict(db: Connection) -> None:
    load(db, "ward", _two_wards(), source_name="a")
    with pytest.raises(Conflict, match="overlaps version 'a'"):
        load(db, "ward", _two_wards(), source_name="b")


def test_version_starting_before_the_open_one_is_a_conflict(db: Connection) -> None:
    load(db, "ward", _two_wards(), source_name="2023", valid_from=Y2023)
    with pytest.raises(Conflict, match="overlaps version '2023'"):
        load(db, "ward", _two_wards(), source_name="2015", valid_from=Y2015)


def test_older_version_can_be_added_before_the_open_one(db: Connection) -> None:
    load(db, "ward", _two_wards(), source_name="2023", valid_from=Y2023)
    old = load(db, "ward", _two_wards(), source_name="2015", valid_from=Y2015, valid_to=Y2023)
    assert old.closed is None
    periods = db.execute(
        "SELECT label, valid_from, valid_to FROM boundaries.version ORDER BY valid_from"
    ).fetchall()
    assert periods == [("2015", Y2015, Y2023), ("2023", Y2023, None)]


def test_database_refuses_overlapping_versions_of_one_layer(db: Connection) -> None:
    load(db, "ward", _two_wards(), source_name="a", valid_from=Y2015)
    with pytest.raises(psycopg.errors.ExclusionViolation), db.transaction():
        db.execute(
            "INSERT INTO boundaries.version (layer_id, label, valid_from, source_name, "
            "source_sha256) SELECT id, 'x', %s, 'x', repeat('0', 64) FROM boundaries.layer",
            (Y2023,),
        )


def test_label_used_twice_is_a_conflict(db: Connection) -> None:
    load(db, "ward", _two_wards(), source_name="a", label="v1", valid_from=Y2015)
    with pytest.raises(Conflict, match="labelled 'v1'"):
        load(db, "ward", _two_wards(), source_name="b", label="v1", valid_from=Y2023)


def test_other_kind_for_an_existing_layer_is_a_conflict(db: Connection) -> None:
    load(db, "ward", _two_wards())
    with pytest.raises(Conflict, match="kind 'ward', not 'precinct'"):
        load(db, "ward", _two_wards(), source_name="b", kind="precinct", valid_from=Y2023)


@pytest.mark.parametrize(
    ("layer", "extra", "message"),
    [
        ("Ward", {}, "layer code 'Ward'"),
        ("lookup", {}, "layer code 'lookup'"),
        ("ward", {"kind": "county"}, "unknown layer kind 'county'"),
        ("ward", {"valid_from": Y2023, "valid_to": Y2015}, "is not before"),
        ("ward", {"valid_from": datetime(2023, 1, 1)}, "has no time zone"),
        ("ward", {"label": " "}, "label is empty"),
    ],
)
def test_unusable_spec_is_invalid_input(
    db: Connection, layer: str, extra: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        load(db, layer, _two_wards(), **extra)


def test_source_without_features_is_invalid_input(db: Connection) -> None:
    with pytest.raises(InvalidInput, match="holds no features"):
        load(db, "ward", [])


def test_failed_import_leaves_nothing_behind(db: Connection) -> None:
    with pytest.raises(InvalidInput):
        load(db, "ward", [source(0, "1", square(X, Y)), source(1, "2", None)])
    assert db.execute("SELECT count(*) FROM boundaries.layer").fetchone() == (0,)
