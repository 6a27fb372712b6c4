"""The append-only asset history: who changed which fields, from what, to what.

A history row holds only the fields that changed. ``old`` and ``new`` are objects with any of
the keys ``geometry`` (GeoJSON), ``status``, ``attributes`` and ``external_ids`` (only the keys
that changed; a key absent on one side is null there), ``condition_score`` and
``condition_date``. A created asset has ``old`` null and everything in ``new``. The bulk import
writes rows of the same shape from SQL (``registry/sql/import_apply.sql``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from registry.models import Asset, HistoryEntry

KEYED = ("attributes", "external_ids")
PLAIN = ("geometry", "status", "condition_score", "condition_date")


def snapshot(asset: Asset) -> dict[str, Any]:
    """The fields of ``asset`` that history tracks, JSON-ready."""
    return {
        "geometry": asset.geometry,
        "status": asset.status,
        "attributes": dict(asset.attributes),
        "external_ids": dict(asset.external_ids),
        "condition_score": asset.condition_score,
        "condition_date": _iso(asset.condition_date),
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The changed fields of two snapshots as (old part, new part); both empty when equal."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in PLAIN:
        if old.get(key) != new.get(key):
            before[key], after[key] = old.get(key), new.get(key)
    for key in KEYED:
        a, b = old.get(key) or {}, new.get(key) or {}
        names = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if names:
            before[key] = {k: a.get(k) for k in names}
            after[key] = {k: b.get(k) for k in names}
    return before, after


def kind_of(old_status: str | None, new_status: str) -> str:
    """The history kind of a change: created, retired, restored or updated."""
    if old_status is None:
        return "created"
    if new_status == "retired" and old_status != "retired":
        return "retired"
    if old_status == "retired" and new_status != "retired":
        return "restored"
    return "updated"


def record(
    conn: psycopg.Connection,
    asset_pk: int,
    *,
    actor: str,
    kind: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
) -> None:
    """Append one history row."""
    conn.execute(
        "INSERT INTO registry.asset_history (asset_pk, actor, kind, old, new) "
        "VALUES (%s, %s, %s, %s, %s)",
        (asset_pk, actor, kind, Jsonb(old) if old is not None else None,
         Jsonb(new) if new is not None else None),
    )


def entries(conn: psycopg.Connection, asset_pk: int, *, limit: int = 100) -> list[HistoryEntry]:
    """The asset's history, newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT at, actor, kind, old, new FROM registry.asset_history "
            "WHERE asset_pk = %s ORDER BY id DESC LIMIT %s",
            (asset_pk, limit),
        ).fetchall()
    return [HistoryEntry(**row) for row in rows]
