"""Single assets: create, read, change (every change appends history), retire.

Nothing is ever deleted: retiring is a status. Each function takes the connection first and runs
its writes inside ``conn.transaction()``; the caller commits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from registry import attributes as attrs
from registry import history, ids
from registry.catalog import get_asset_type
from registry.errors import Conflict, InvalidInput, NotFound
from registry.geometry import from_geojson
from registry.models import ASSET_STATUSES, Asset, AssetType, HistoryEntry

# The columns every read returns, in the order Asset wants them.
ASSET_COLUMNS = """
    a.id AS pk, a.asset_id, a.type_code, ST_AsGeoJSON(a.geom)::jsonb AS geometry, a.status,
    a.attributes, a.external_ids, a.condition_score, a.condition_date, a.created_at,
    a.updated_at
"""
COLUMNS = sql.SQL(ASSET_COLUMNS)
INSERT = sql.SQL(
    "INSERT INTO registry.asset AS a (asset_id, type_code, status, attributes, external_ids, "
    "condition_score, condition_date, geom) VALUES (%(asset_id)s, %(type_code)s, %(status)s, "
    "%(attributes)s, %(external_ids)s, %(condition_score)s, %(condition_date)s, "
    "%(geom)s::geometry) RETURNING {}"
).format(COLUMNS)
SELECT_FOR_UPDATE = sql.SQL(
    "SELECT {}, encode(ST_AsEWKB(a.geom), 'hex') AS ewkb FROM registry.asset a "
    "WHERE a.asset_id = %s FOR UPDATE"
).format(COLUMNS)
UPDATE = sql.SQL(
    "UPDATE registry.asset AS a SET geom = %(geom)s::geometry, status = %(status)s, "
    "attributes = %(attributes)s, external_ids = %(external_ids)s, "
    "condition_score = %(condition_score)s, condition_date = %(condition_date)s, "
    "updated_at = now() WHERE a.id = %(pk)s RETURNING {}"
).format(COLUMNS)
PATCHABLE = (
    "geometry", "status", "attributes", "external_ids", "condition_score", "condition_date",
)


def row_to_asset(row: Mapping[str, Any]) -> Asset:
    """An Asset from a row selected with ``ASSET_COLUMNS`` (as a dict row)."""
    return Asset(**{k: row[k] for k in Asset.__dataclass_fields__})


def get(conn: psycopg.Connection, asset_id: str) -> Asset:
    """The asset with public id ``asset_id``; NotFound when there is none."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            sql.SQL("SELECT {} FROM registry.asset a WHERE a.asset_id = %s").format(COLUMNS),
            (asset_id,),
        ).fetchone()
    if row is None:
        raise NotFound(f"no asset {asset_id!r}")
    return row_to_asset(row)


def _status(value: Any) -> str:
    if value not in ASSET_STATUSES:
        raise InvalidInput(f"status: must be one of {', '.join(ASSET_STATUSES)}")
    return str(value)


def _score(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput("condition_score: must be a number from 0 to 100")
    if not 0 <= value <= 100:
        raise InvalidInput("condition_score: must be a number from 0 to 100")
    return float(value)


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("condition_date: must be a date YYYY-MM-DD") from None


def _external_ids(changes: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> dict:
    """Merge-patch external ids (null removes); values are kept as text."""
    if not isinstance(changes, Mapping):
        raise InvalidInput("external_ids: must be an object of system name to id")
    merged = dict(base or {})
    for key, value in changes.items():
        if not isinstance(key, str) or not key.strip() or len(key) > 64:
            raise InvalidInput("external_ids: keys are system names of 1-64 characters")
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, str) and value.strip():
            merged[key] = value.strip()
        elif isinstance(value, int) and not isinstance(value, bool):
            merged[key] = str(value)
        else:
            raise InvalidInput(f"external_ids.{key}: must be non-empty text or a whole number")
    return merged


def create(
    conn: psycopg.Connection,
    *,
    type_code: str,
    geometry: Mapping[str, Any],
    actor: str,
    asset_id: str | None = None,
    status: str = "active",
    attributes: Mapping[str, Any] | None = None,
    external_ids: Mapping[str, Any] | None = None,
    condition_score: float | None = None,
    condition_date: date | str | None = None,
) -> Asset:
    """Register a new asset; its id is ``asset_id`` or a generated ``<type>-<hex>``.

    Conflict when the id is taken; InvalidInput for an unknown type or a value breaking the
    type's rules.
    """
    try:
        asset_type = get_asset_type(conn, type_code)
    except NotFound:
        raise InvalidInput(f"type: unknown asset type {type_code!r}") from None
    public_id = ids.check(asset_id) if asset_id is not None else ids.generate(type_code)
    values = {
        "asset_id": public_id,
        "type_code": type_code,
        "status": _status(status),
        "attributes": Jsonb(attrs.validate(asset_type.attribute_schema, attributes or {})),
        "external_ids": Jsonb(_external_ids(external_ids or {})),
        "condition_score": _score(condition_score),
        "condition_date": _date(condition_date),
        "geom": from_geojson(conn, geometry, asset_type.geometry_kind),
    }
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        try:
            with conn.transaction():
                row = cur.execute(INSERT, values).fetchone()
        except psycopg.errors.UniqueViolation:
            raise Conflict(f"asset id {public_id!r} is already taken") from None
        assert row is not None
        asset = row_to_asset(row)
        history.record(
            conn, asset.pk, actor=actor, kind="created", old=None, new=history.snapshot(asset)
        )
    return asset


def update(
    conn: psycopg.Connection, asset_id: str, changes: Mapping[str, Any], *, actor: str
) -> Asset:
    """Change an asset's fields; unchanged input writes nothing, a change appends history.

    ``changes`` may hold ``geometry`` (GeoJSON), ``status``, ``attributes`` and
    ``external_ids`` (merged key by key, null removes a key), ``condition_score`` and
    ``condition_date`` (null clears them).
    """
    unknown = sorted(set(changes) - set(PATCHABLE))
    if unknown:
        raise InvalidInput(
            f"cannot change {', '.join(unknown)}; changeable: {', '.join(PATCHABLE)}"
        )
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SELECT_FOR_UPDATE, (asset_id,)).fetchone()
        if row is None:
            raise NotFound(f"no asset {asset_id!r}")
        old = row_to_asset(row)
        asset_type = get_asset_type(conn, old.type_code)
        new = _apply(conn, asset_type, old, row["ewkb"], changes)
        if new == {
            "geom": row["ewkb"],
            "status": old.status,
            "attributes": old.attributes,
            "external_ids": old.external_ids,
            "condition_score": old.condition_score,
            "condition_date": old.condition_date,
        }:
            return old
        updated = cur.execute(
            UPDATE,
            {
                **new,
                "attributes": Jsonb(new["attributes"]),
                "external_ids": Jsonb(new["external_ids"]),
                "pk": old.pk,
            },
        ).fetchone()
        assert updated is not None
        asset = row_to_asset(updated)
        before, after = history.diff(history.snapshot(old), history.snapshot(asset))
        history.record(
            conn,
            asset.pk,
            actor=actor,
            kind=history.kind_of(old.status, asset.status),
            old=before,
            new=after,
        )
    return asset


def _apply(
    conn: psycopg.Connection,
    asset_type: AssetType,
    old: Asset,
    old_ewkb: str,
    changes: Mapping[str, Any],
) -> dict[str, Any]:
    geom = old_ewkb
    if "geometry" in changes:
        if changes["geometry"] is None:
            raise InvalidInput("geometry: an asset always has a geometry")
        geom = from_geojson(conn, changes["geometry"], asset_type.geometry_kind)
    attributes = old.attributes
    if "attributes" in changes:
        patch = changes["attributes"] or {}
        if not isinstance(patch, Mapping):
            raise InvalidInput("attributes: must be an object")
        attributes = attrs.validate(asset_type.attribute_schema, patch, base=old.attributes)
    external = old.external_ids
    if "external_ids" in changes:
        external = _external_ids(changes["external_ids"] or {}, old.external_ids)
    return {
        "geom": geom,
        "status": _status(changes["status"]) if "status" in changes else old.status,
        "attributes": attributes,
        "external_ids": external,
        "condition_score": (
            _score(changes["condition_score"])
            if "condition_score" in changes
            else old.condition_score
        ),
        "condition_date": (
            _date(changes["condition_date"]) if "condition_date" in changes else old.condition_date
        ),
    }


def retire(conn: psycopg.Connection, asset_id: str, *, actor: str) -> Asset:
    """Set the asset's status to retired (it stays in the registry with its history)."""
    return update(conn, asset_id, {"status": "retired"}, actor=actor)


def get_history(conn: psycopg.Connection, asset_id: str, *, limit: int = 100) -> list[HistoryEntry]:
    """The asset's history, newest first; NotFound for an unknown asset."""
    row = conn.execute(
        "SELECT id FROM registry.asset WHERE asset_id = %s", (asset_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no asset {asset_id!r}")
    return history.entries(conn, row[0], limit=limit)
