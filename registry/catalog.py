"""The catalog in the database: load it from a file (idempotently), read asset types and services.

Loading never deletes: an asset type or service absent from the file stays as it is (a service is
withdrawn by setting ``active: false``). Each entry is created, updated (naming the fields that
changed) or left untouched, and the caller gets that list back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from registry.catalog_file import CatalogFile
from registry.errors import CatalogError, Conflict, InvalidInput, NotFound
from registry.models import AssetType, AttributeSchema, DedupRule, Open311Attribute, Service

TYPE_COLUMNS = (
    "name", "department", "geometry_kind", "attribute_schema", "snap_radius_m", "id_field",
    "external_id_fields",
)
SERVICE_COLUMNS = (
    "name", "description", "group", "keywords", "asset_types", "dedup_radius_m",
    "dedup_window", "dedup_scope_layer", "dedup_asset_based", "sla_hours", "attributes",
    "active", "department",
)


@dataclass(frozen=True)
class CatalogChange:
    """What loading did to one catalog entry."""

    kind: str  # "asset_type" or "service"
    code: str
    action: str  # "created", "updated" or "unchanged"
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        what = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.kind} {self.code}: {self.action}{what}"


def _type_row(t: AssetType) -> dict[str, Any]:
    return {
        "name": t.name,
        "department": t.department,
        "geometry_kind": t.geometry_kind,
        "attribute_schema": t.attribute_schema.to_json(),
        "snap_radius_m": t.snap_radius_m,
        "id_field": t.id_field,
        "external_id_fields": list(t.external_id_fields),
    }


def _service_row(s: Service, departments: dict[str, str]) -> dict[str, Any]:
    department = s.department
    if department is None and s.asset_types:
        department = departments.get(s.asset_types[0])
    return {
        "name": s.name,
        "description": s.description,
        "group": s.group,
        "keywords": list(s.keywords),
        "asset_types": list(s.asset_types),
        "dedup_radius_m": s.dedup.radius_m,
        "dedup_window": s.dedup.window,
        "dedup_scope_layer": s.dedup.scope_layer,
        "dedup_asset_based": s.dedup.asset_based,
        "sla_hours": s.sla_hours,
        "attributes": [a.to_json() for a in s.attributes],
        "active": s.active,
        "department": department,
    }


def load(conn: psycopg.Connection, catalog: CatalogFile) -> list[CatalogChange]:
    """Bring the database's catalog in line with ``catalog``; what changed, entry by entry."""
    changes: list[CatalogChange] = []
    with conn.transaction():
        # One loader at a time: two concurrent loads would each see the other's rows missing.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('registry.catalog'))")
        known_types = _existing(conn, "asset_type", TYPE_COLUMNS)
        declared = {t.code for t in catalog.asset_types} | set(known_types)
        for i, s in enumerate(catalog.services):
            missing = [code for code in s.asset_types if code not in declared]
            if missing:
                raise CatalogError(
                    f"services[{i}].asset_types", f"unknown asset type(s) {', '.join(missing)}"
                )
        for t in catalog.asset_types:
            row = _type_row(t)
            old = known_types.get(t.code)
            if old is not None and old["geometry_kind"] != t.geometry_kind:
                _refuse_kind_change(conn, t, old["geometry_kind"])
            changes.append(_upsert(conn, "asset_type", t.code, row, old, TYPE_COLUMNS))
        known_services = _existing(conn, "service", SERVICE_COLUMNS)
        departments = {code: row["department"] for code, row in known_types.items()}
        departments.update({t.code: t.department for t in catalog.asset_types})
        for s in catalog.services:
            row = _service_row(s, departments)
            old = known_services.get(s.code)
            changes.append(_upsert(conn, "service", s.code, row, old, SERVICE_COLUMNS))
    return changes


def _refuse_kind_change(conn: psycopg.Connection, t: AssetType, old_kind: str) -> None:
    row = conn.execute(
        "SELECT count(*) FROM registry.asset WHERE type_code = %s", (t.code,)
    ).fetchone()
    count = row[0] if row else 0
    if count:
        raise Conflict(
            f"asset type {t.code} has {count} assets; its geometry kind cannot change from "
            f"{old_kind} to {t.geometry_kind}"
        )


def _existing(
    conn: psycopg.Connection, table: str, columns: Sequence[str]
) -> dict[str, dict[str, Any]]:
    query = sql.SQL("SELECT {cols} FROM {table}").format(
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in ("code", *columns)),
        table=sql.Identifier("registry", table),
    )
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query).fetchall()
    return {row["code"]: row for row in rows}


def _upsert(
    conn: psycopg.Connection,
    kind: str,
    code: str,
    row: dict[str, Any],
    old: dict[str, Any] | None,
    columns: Sequence[str],
) -> CatalogChange:
    if old is not None:
        changed = tuple(c for c in columns if _normal(old[c]) != _normal(row[c]))
        if not changed:
            return CatalogChange(kind, code, "unchanged")
    values = {c: Jsonb(v) if c in JSONB else v for c, v in row.items()}
    query = sql.SQL(
        "INSERT INTO {table} (code, {cols}) VALUES ({code}, {params}) "
        "ON CONFLICT (code) DO UPDATE SET {sets}, updated_at = now()"
    ).format(
        table=sql.Identifier("registry", kind),
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        code=sql.Placeholder("code"),
        params=sql.SQL(", ").join(sql.Placeholder(c) for c in columns),
        sets=sql.SQL(", ").join(
            sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in columns
        ),
    )
    conn.execute(query, {"code": code, **values})
    if old is None:
        return CatalogChange(kind, code, "created")
    return CatalogChange(kind, code, "updated", changed)


JSONB = {"attribute_schema", "attributes"}


def _normal(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


# --- reading ---------------------------------------------------------------------------------

TYPE_SELECT = """
SELECT t.code, t.name, t.department, t.geometry_kind, t.attribute_schema, t.snap_radius_m,
       t.id_field, t.external_id_fields, t.created_at, t.updated_at,
       ARRAY(SELECT s.code FROM registry.service s
             WHERE t.code = ANY (s.asset_types) AND s.active ORDER BY s.code) AS service_codes
FROM registry.asset_type t
"""

SERVICE_SELECT = """
SELECT code, name, description, "group", keywords, asset_types, dedup_radius_m, dedup_window,
       dedup_scope_layer, dedup_asset_based, sla_hours, attributes, active, department,
       created_at, updated_at
FROM registry.service
"""


def _asset_type(row: dict[str, Any]) -> AssetType:
    return AssetType(
        code=row["code"],
        name=row["name"],
        department=row["department"],
        geometry_kind=row["geometry_kind"],
        attribute_schema=AttributeSchema.from_json(row["attribute_schema"]),
        snap_radius_m=row["snap_radius_m"],
        id_field=row["id_field"],
        external_id_fields=tuple(row["external_id_fields"]),
        service_codes=tuple(row["service_codes"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _service(row: dict[str, Any]) -> Service:
    return Service(
        code=row["code"],
        name=row["name"],
        description=row["description"],
        group=row["group"],
        keywords=tuple(row["keywords"]),
        asset_types=tuple(row["asset_types"]),
        dedup=DedupRule(
            radius_m=row["dedup_radius_m"],
            window=row["dedup_window"],
            scope_layer=row["dedup_scope_layer"],
            asset_based=row["dedup_asset_based"],
        ),
        sla_hours=row["sla_hours"],
        attributes=tuple(Open311Attribute.from_json(a) for a in row["attributes"]),
        active=row["active"],
        department=row["department"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def list_asset_types(conn: psycopg.Connection) -> list[AssetType]:
    """Every asset type, by code, with the codes of the active services it receives."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(TYPE_SELECT + " ORDER BY t.code").fetchall()
    return [_asset_type(r) for r in rows]


def get_asset_type(conn: psycopg.Connection, code: str) -> AssetType:
    """The asset type ``code``; NotFound when there is none."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(TYPE_SELECT + " WHERE t.code = %s", (code,)).fetchone()
    if row is None:
        raise NotFound(f"no asset type {code!r}")
    return _asset_type(row)


def require_asset_types(conn: psycopg.Connection, codes: Iterable[str]) -> None:
    """InvalidInput naming the codes that are not asset types."""
    wanted = sorted(set(codes))
    if not wanted:
        return
    rows = conn.execute(
        "SELECT code FROM registry.asset_type WHERE code = ANY (%s)", (wanted,)
    ).fetchall()
    missing = [c for c in wanted if c not in {r[0] for r in rows}]
    if missing:
        raise InvalidInput(f"type: unknown asset type(s) {', '.join(missing)}")


def list_services(conn: psycopg.Connection, *, include_inactive: bool = False) -> list[Service]:
    """The services, by code (active ones only unless asked)."""
    where = "" if include_inactive else " WHERE active"
    query = SERVICE_SELECT + where + " ORDER BY code"
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query).fetchall()
    return [_service(r) for r in rows]


def get_service(conn: psycopg.Connection, code: str) -> Service:
    """The service ``code`` (active or not); NotFound when there is none."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SERVICE_SELECT + " WHERE code = %s", (code,)).fetchone()
    if row is None:
        raise NotFound(f"no service {code!r}")
    return _service(row)
