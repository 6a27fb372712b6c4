"""The API key store: keys shown once, only their hash kept, revocation at once."""

from __future__ import annotations

import hashlib

import psycopg
import pytest

from gis311 import keys


def test_create_returns_the_key_once_and_stores_only_its_hash(db: psycopg.Connection) -> None:
    created = keys.create(db, role="reporter_app", name="FixMyStreet")
    assert created.key.startswith("g311_") and len(created.key) == 48
    row = db.execute(
        "SELECT name, role, key_prefix, key_hash, last_used_at FROM gis311.api_key "
        "WHERE id = %s", (created.info.id,),
    ).fetchone()
    assert row == ("FixMyStreet", "reporter_app", created.key[:keys.PREFIX_LENGTH],
                   hashlib.sha256(created.key.encode()).hexdigest(), None)
    stored = db.execute("SELECT t::text FROM gis311.api_key t").fetchone()
    assert stored is not None and created.key not in stored[0]
    assert created.key not in repr(keys.list_keys(db))


def test_verify_gives_the_principal_and_marks_the_key_used(db: psycopg.Connection) -> None:
    created = keys.create(db, role="staff", departments=["Public Works", "Water"], name="ops")
    principal = keys.verify(db, created.key + "\n")
    assert principal == keys.Principal(
        key_id=created.info.id, role="staff", departments=("Public Works", "Water"), name="ops")
    assert principal.client == f"key:{created.info.id}" and principal.may_file()
    used = db.execute("SELECT last_used_at FROM gis311.api_key WHERE id = %s",
                      (created.info.id,)).fetchone()
    assert used is not None and used[0] is not None


def test_verify_refuses_unknown_malformed_and_near_miss_keys(db: psycopg.Connection) -> None:
    created = keys.create(db, role="reporter_app")
    near_miss = created.key[:-1] + ("A" if created.key[-1] != "A" else "B")
    for key in (near_miss, "g311_" + "x" * 43, "", "Bearer " + created.key, created.key[:20]):
        assert keys.verify(db, key) is None


def test_revoked_keys_stop_working_and_revoking_again_changes_nothing(
    db: psycopg.Connection,
) -> None:
    created = keys.create(db, role="councilor", districts=["ward:3", "police_district:D14"])
    assert keys.verify(db, created.key) is not None
    revoked = keys.revoke(db, created.info.id)
    assert revoked.revoked_at is not None and revoked.districts == ("ward:3", "police_district:D14")
    assert keys.verify(db, created.key) is None
    assert keys.revoke(db, created.info.id).revoked_at == revoked.revoked_at
    with pytest.raises(keys.KeyNotFound, match="no API key has id 999999"):
        keys.revoke(db, 999_999)


def test_list_shows_every_key_oldest_first(db: psycopg.Connection) -> None:
    a = keys.create(db, role="admin")
    b = keys.create(db, role="crew", departments=["Water"])
    listed = [k for k in keys.list_keys(db) if k.id in (a.info.id, b.info.id)]
    assert [(k.id, k.role, k.departments) for k in listed] == [
        (a.info.id, "admin", ()), (b.info.id, "crew", ("Water",))]


@pytest.mark.parametrize(
    ("role", "departments", "districts", "needle"),
    [
        ("mayor", [], [], "unknown role 'mayor'"),
        ("staff", [], [], "a staff key needs at least one department"),
        ("crew", [" "], [], "must not be empty"),
        ("councilor", [], [], "a councilor key needs at least one district"),
        ("councilor", [], ["ward 3"], "must be LAYER:CODE"),
        ("reporter_app", ["Water"], [], "applies to staff and crew keys"),
        ("admin", [], ["ward:1"], "applies to councilor keys"),
    ],
)
def test_bad_specs_are_refused(
    db: psycopg.Connection, role: str, departments: list[str], districts: list[str], needle: str
) -> None:
    with pytest.raises(keys.InvalidKeySpec, match=needle):
        keys.create(db, role=role, departments=departments, districts=districts)


def test_the_table_refuses_bad_rows_whatever_writes_them(db: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.CheckViolation), db.transaction():
        db.execute("INSERT INTO gis311.api_key (role, districts, key_prefix, key_hash) "
                   "VALUES ('councilor', '{nowhere}', 'p', repeat('a', 64))")
    with pytest.raises(psycopg.errors.CheckViolation), db.transaction():
        db.execute("INSERT INTO gis311.api_key (role, key_prefix, key_hash) "
                   "VALUES ('root', 'p', repeat('a', 64))")
