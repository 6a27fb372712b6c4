"""Bulk asset import, part two: checks across rows, the reject list, and applying the changes.

The statements live in ``registry/sql/import_apply.sql``. Applying is set-based: one INSERT for
new assets, one UPDATE for changed ones (by content hash) and one for retiring the missing,
each writing its history rows in the same statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from registry import sqlfiles
from registry.bulk import REJECT, Staged
from registry.models import AssetType

SQL_FILE = "import_apply.sql"


@dataclass(frozen=True)
class Reject:
    """A row the import refused: where, which field, why."""

    row: int
    field: str
    reason: str
    asset_id: str | None = None


@dataclass(frozen=True)
class Applied:
    """What applying a staged import changed."""

    created: int = 0
    updated: int = 0
    restored: int = 0
    unchanged: int = 0
    retired: int = 0


def _run(conn: psycopg.Connection, section: str, params: dict[str, object]) -> psycopg.Cursor:
    statement = sqlfiles.sections(SQL_FILE)[section]
    return conn.execute(statement, params)


def check(
    conn: psycopg.Connection,
    asset_type: AssetType,
    staged: Staged,
    *,
    id_field: str | None,
) -> int:
    """Add the checks across rows to the per-row ones; the number of rejected rows.

    Takes the type's import lock first (held to the end of the transaction): two imports of one
    type at once would each see the other's new assets as missing.
    """
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('registry.import'), hashtext(%s))",
        (asset_type.code,),
    )
    if id_field is None:
        _run(conn, "number_shared_locations", {})
    params: dict[str, object] = {
        "fields": Jsonb(staged.fields),
        "id_field": id_field or "location",
        "type": asset_type.code,
    }
    for section in ("reject_row_problems", "reject_repeated_ids", "match_existing",
                    "analyze_match", "reject_other_types"):
        _run(conn, section, params)
    _run(conn, "mark_rejected", {})
    row = conn.execute(sql.SQL("SELECT count(DISTINCT row_no) FROM {}").format(REJECT)).fetchone()
    return int(row[0]) if row else 0


def rejects(conn: psycopg.Connection, *, limit: int | None = None) -> Iterator[Reject]:
    """The rejects in row order, streamed (a bad file can reject every row)."""
    query = sql.SQL(
        "SELECT row_no, field, reason, asset_id FROM {} ORDER BY row_no, field, reason {}"
    ).format(REJECT, sql.SQL("LIMIT {}").format(limit) if limit is not None else sql.SQL(""))
    with conn.cursor() as cur:
        for row_no, field, reason, asset_id in cur.stream(query):
            yield Reject(int(row_no), field, reason, asset_id)


def apply(
    conn: psycopg.Connection,
    asset_type: AssetType,
    staged: Staged,
    *,
    actor: str,
    rejected: int,
    retire_missing: bool,
) -> Applied:
    """Create the new assets, update the changed, retire the missing (when asked)."""
    params: dict[str, object] = {"type": asset_type.code, "actor": actor}
    created = _count(_run(conn, "create_new", params))
    updated, restored = _counts(_run(conn, "update_changed", params))
    retired = _count(_run(conn, "retire_missing", params)) if retire_missing else 0
    unchanged = staged.rows - rejected - created - updated - restored
    return Applied(created, updated, restored, unchanged, retired)


def _count(cur: psycopg.Cursor) -> int:
    row = cur.fetchone()
    return int(row[0]) if row else 0


def _counts(cur: psycopg.Cursor) -> tuple[int, int]:
    row = cur.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)
