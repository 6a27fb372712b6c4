"""Reading cases and changing them after intake: status, notes, duplicates, splits.

Every change writes a history event and an outbox event (``case.updated``) in the caller's
transaction. The public JSON of a case comes from the database function
``registry.case_json`` so intake, reads and changes return the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from registry.errors import Conflict, InvalidInput, NotFound

STATUSES = ("open", "in_progress", "closed")
CLOSURE_REASONS = ("resolved", "duplicate", "invalid", "referred", "no_action")
# What a reader sees of a case (see registry.case_json): public fields; + internal notes and
# actors; + the reporter's contact.
VIEWS = ("public", "internal", "full")


class CaseNotFound(NotFound):
    """No case has that number (or none the reader may see: the same answer, so a case's
    existence does not leak)."""


@dataclass(frozen=True)
class CaseScope:
    """Which cases a reader may see and how much of them.

    ``departments`` limits to the services of those departments, ``districts`` (``layer:code``)
    to cases filed in those districts; None leaves that axis open.
    """

    departments: tuple[str, ...] | None = None
    districts: tuple[str, ...] | None = None
    view: str = "public"

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"view must be one of {VIEWS}")


EVERYTHING = CaseScope(view="full")
PUBLIC = CaseScope()


def scope_condition(scope: CaseScope, alias: str = "c") -> tuple[sql.Composable, dict[str, Any]]:
    """A predicate over cases (table alias ``alias``) keeping those ``scope`` may see."""
    parts: list[sql.Composable] = []
    params: dict[str, Any] = {}
    table = sql.Identifier(alias)
    if scope.departments is not None:
        parts.append(sql.SQL(
            "{}.service_code IN (SELECT s.code FROM registry.service s "
            "WHERE s.department = ANY(%(scope_departments)s))"
        ).format(table))
        params["scope_departments"] = list(scope.departments)
    if scope.districts is not None:
        parts.append(sql.SQL(
            "EXISTS (SELECT 1 FROM registry.case_district d WHERE d.case_id = {}.id "
            "AND d.layer || ':' || d.code = ANY(%(scope_districts)s))"
        ).format(table))
        params["scope_districts"] = list(scope.districts)
    if not parts:
        return sql.SQL("true"), params
    return sql.SQL(" AND ").join(parts), params


@dataclass(frozen=True)
class CaseFilter:
    """Filters of the case list; every one optional."""

    status: Sequence[str] = ()
    service_code: Sequence[str] = ()
    district: tuple[str, str] | None = None
    bbox: tuple[float, float, float, float] | None = None
    asset_id: str | None = None
    parent: str | None = None
    requested_after: datetime | None = None
    requested_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None


def get_case(
    conn: psycopg.Connection, number: str, *, detail: bool = True, scope: CaseScope = PUBLIC
) -> str:
    """The JSON text of case ``number`` as ``scope`` sees it (with duplicates and history when
    ``detail``); CaseNotFound when it does not exist or lies outside ``scope``."""
    condition, params = scope_condition(scope)
    row = conn.execute(
        sql.SQL(
            "SELECT registry.case_json(c.id, %(detail)s, %(view)s)::text "
            "FROM registry.service_case c WHERE c.number = %(number)s AND {}"
        ).format(condition),
        {"detail": detail, "view": scope.view, "number": number, **params},
    ).fetchone()
    if row is None:
        raise CaseNotFound(f"no case {number}")
    return str(row[0])


def list_cases(
    conn: psycopg.Connection, where: CaseFilter, *, limit: int, after: tuple[str, int] | None,
    scope: CaseScope = PUBLIC,
) -> tuple[list[str], tuple[str, int] | None]:
    """A page of the cases ``scope`` may see, newest first, as JSON texts; the cursor of the
    next page: (requested_at ISO text, id) of the last case of the page.
    """
    condition, params = scope_condition(scope)
    conditions: list[sql.Composable] = [condition]
    params.update(limit=limit + 1, view=scope.view)
    if where.status:
        conditions.append(sql.SQL("c.status = ANY(%(status)s)"))
        params["status"] = list(where.status)
    if where.service_code:
        conditions.append(sql.SQL("c.service_code = ANY(%(service_code)s)"))
        params["service_code"] = list(where.service_code)
    if where.district:
        conditions.append(sql.SQL(
            "EXISTS (SELECT 1 FROM registry.case_district d WHERE d.case_id = c.id "
            "AND d.layer = %(district_layer)s AND d.code = %(district_code)s)"
        ))
        params["district_layer"], params["district_code"] = where.district
    if where.bbox:
        conditions.append(sql.SQL(
            "c.geom && ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326)"
        ))
        params.update(zip(("minx", "miny", "maxx", "maxy"), where.bbox, strict=True))
    if where.asset_id:
        conditions.append(sql.SQL(
            "c.asset_pk = (SELECT a.id FROM registry.asset a WHERE a.asset_id = %(asset_id)s)"
        ))
        params["asset_id"] = where.asset_id
    if where.parent:
        conditions.append(sql.SQL(
            "c.parent_id = (SELECT p.id FROM registry.service_case p WHERE p.number = %(parent)s)"
        ))
        params["parent"] = where.parent
    for name, op in (
        ("requested_after", ">="), ("requested_before", "<"),
        ("updated_after", ">"), ("updated_before", "<"),
    ):
        value = getattr(where, name)
        if value is not None:
            column = "requested_at" if name.startswith("requested") else "updated_at"
            conditions.append(
                sql.SQL("c.{} {} %({})s").format(sql.Identifier(column), sql.SQL(op),
                                                  sql.SQL(name))
            )
            params[name] = value
    if after is not None:
        conditions.append(sql.SQL(
            "(c.requested_at, c.id) < (%(after_at)s::timestamptz, %(after_id)s)"
        ))
        params["after_at"], params["after_id"] = after
    query = sql.SQL(
        "SELECT c.id, c.requested_at, registry.case_json(c.id, false, %(view)s)::text "
        "FROM registry.service_case c WHERE {} "
        "ORDER BY c.requested_at DESC, c.id DESC LIMIT %(limit)s"
    ).format(sql.SQL(" AND ").join(conditions))
    rows = conn.execute(query, params).fetchall()
    page = rows[:limit]
    cursor = (page[-1][1].isoformat(), int(page[-1][0])) if len(rows) > limit else None
    return [str(r[2]) for r in page], cursor


def _lock(conn: psycopg.Connection, number: str, scope: CaseScope) -> dict[str, Any]:
    condition, params = scope_condition(scope)
    row = conn.execute(
        sql.SQL(
            "SELECT c.id, c.number, c.status, c.closure_reason, c.parent_id, c.duplicate_count "
            "FROM registry.service_case c WHERE c.number = %(number)s AND {} FOR UPDATE OF c"
        ).format(condition),
        {"number": number, **params},
    ).fetchone()
    if row is None:
        raise CaseNotFound(f"no case {number}")
    keys = ("id", "number", "status", "closure_reason", "parent_id", "duplicate_count")
    return dict(zip(keys, row, strict=True))


def _event(
    conn: psycopg.Connection, case_id: int, actor: str, kind: str, note: str | None,
    data: dict[str, Any], *, internal: bool = False,
) -> None:
    conn.execute(
        "INSERT INTO registry.case_event (case_id, actor, kind, note, data, internal) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        (case_id, actor, kind, note, Jsonb(data), internal),
    )


def _outbox(conn: psycopg.Connection, case_id: int, number: str, change: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO registry.outbox (topic, case_id, payload) VALUES ('case.updated', %s, %s)",
        (case_id, Jsonb({"number": number, **change})),
    )


def update_case(
    conn: psycopg.Connection,
    number: str,
    *,
    actor: str,
    status: str | None = None,
    closure_reason: str | None = None,
    note: str | None = None,
    internal_note: str | None = None,
    scope: CaseScope = EVERYTHING,
) -> str:
    """Change a case's status (with a closure reason when closing) and/or add notes.

    Only cases inside ``scope`` can be changed (others are CaseNotFound); the answer is the
    case as ``scope`` sees it.
    """
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    if closure_reason is not None and closure_reason not in CLOSURE_REASONS:
        raise InvalidInput(f"closure_reason must be one of {', '.join(CLOSURE_REASONS)}")
    if closure_reason == "duplicate":
        raise InvalidInput("mark a duplicate with POST /api/v1/cases/{number}/duplicate-of")
    if status == "closed" and closure_reason is None:
        raise InvalidInput("closing a case needs a closure_reason")
    if closure_reason is not None and status != "closed":
        raise InvalidInput("closure_reason goes with status closed")
    with conn.transaction():
        case = _lock(conn, number, scope)
        if status is not None and case["closure_reason"] == "duplicate":
            raise Conflict(f"case {number} is a repeat report; split it off to change it")
        if status is not None and status != case["status"]:
            conn.execute(
                "UPDATE registry.service_case SET status = %s, closure_reason = %s, "
                "closed_at = CASE WHEN %s = 'closed' THEN now() END, updated_at = now() "
                "WHERE id = %s",
                (status, closure_reason, status, case["id"]),
            )
            change = {"status": status, "previous_status": case["status"]}
            if closure_reason:
                change["closure_reason"] = closure_reason
            _event(conn, case["id"], actor, "status_changed", note, change)
            _outbox(conn, case["id"], number, change)
        elif note:
            _event(conn, case["id"], actor, "note", note, {})
            conn.execute(
                "UPDATE registry.service_case SET updated_at = now() WHERE id = %s",
                (case["id"],),
            )
        if internal_note:
            _event(conn, case["id"], actor, "note", internal_note, {}, internal=True)
    return get_case(conn, number, scope=scope)


def mark_duplicate(
    conn: psycopg.Connection, number: str, parent_number: str, *, actor: str,
    note: str | None = None, scope: CaseScope = EVERYTHING,
) -> str:
    """Make case ``number`` a repeat report of ``parent_number``; its own repeats follow it."""
    if number == parent_number:
        raise InvalidInput("a case cannot be a duplicate of itself")
    with conn.transaction():
        # Lock both rows in id order, as every writer does, so two staff actions cannot deadlock.
        rows = conn.execute(
            "SELECT number FROM registry.service_case WHERE number = ANY(%s) ORDER BY id "
            "FOR UPDATE", ([number, parent_number],),
        ).fetchall()
        found = {r[0] for r in rows}
        for wanted in (number, parent_number):
            if wanted not in found:
                raise CaseNotFound(f"no case {wanted}")
        case = _lock(conn, number, scope)
        parent = _lock(conn, parent_number, scope)
        if parent["parent_id"] is not None:
            raise Conflict(f"case {parent_number} is itself a repeat report; link to its parent")
        if case["parent_id"] == parent["id"]:
            return get_case(conn, number, scope=scope)
        moved = conn.execute(
            "UPDATE registry.service_case SET parent_id = %s, updated_at = now() "
            "WHERE parent_id = %s", (parent["id"], case["id"]),
        ).rowcount
        if case["parent_id"] is not None:
            conn.execute(
                "UPDATE registry.service_case SET duplicate_count = duplicate_count - 1, "
                "updated_at = now() WHERE id = %s", (case["parent_id"],),
            )
        conn.execute(
            "UPDATE registry.service_case SET status = 'closed', closure_reason = 'duplicate', "
            "closed_at = COALESCE(closed_at, now()), parent_id = %s, duplicate_count = 0, "
            "dedup_asset_pk = NULL, updated_at = now() WHERE id = %s",
            (parent["id"], case["id"]),
        )
        conn.execute(
            "UPDATE registry.service_case SET duplicate_count = duplicate_count + %s, "
            "updated_at = now() WHERE id = %s", (1 + moved, parent["id"]),
        )
        change = {"status": "closed", "closure_reason": "duplicate", "parent": parent_number}
        _event(conn, case["id"], actor, "marked_duplicate", note, change)
        _event(conn, parent["id"], actor, "duplicate_added", note,
               {"duplicate": number, "moved": moved})
        _outbox(conn, case["id"], number, change)
    return get_case(conn, number, scope=scope)


def split_case(
    conn: psycopg.Connection, number: str, *, actor: str, note: str | None = None,
    scope: CaseScope = EVERYTHING,
) -> str:
    """Detach repeat report ``number`` from its parent: it becomes an open case of its own."""
    with conn.transaction():
        case = _lock(conn, number, scope)
        if case["parent_id"] is None:
            raise Conflict(f"case {number} is not a repeat report")
        parent_number = conn.execute(
            "UPDATE registry.service_case SET duplicate_count = duplicate_count - 1, "
            "updated_at = now() WHERE id = %s RETURNING number", (case["parent_id"],),
        ).fetchone()
        conn.execute(
            "UPDATE registry.service_case SET parent_id = NULL, status = 'open', "
            "closure_reason = NULL, closed_at = NULL, updated_at = now() WHERE id = %s",
            (case["id"],),
        )
        change = {"status": "open", "split_from": parent_number[0] if parent_number else None}
        _event(conn, case["id"], actor, "split", note, change)
        _event(conn, case["parent_id"], actor, "duplicate_removed", note, {"duplicate": number})
        _outbox(conn, case["id"], number, change)
    return get_case(conn, number, scope=scope)
