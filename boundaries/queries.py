"""Read layers, versions and districts; districts come out as GeoJSON text built by PostGIS."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from psycopg import Connection
from psycopg.rows import class_row

from boundaries import sql
from boundaries.errors import NotFound
from boundaries.models import Layer, Version

VERSION_COLUMNS = (
    "id, layer_id, label, valid_from, valid_to, source_name, source_sha256, feature_count, "
    "imported_at"
)


def find_layer(conn: Connection, code: str) -> Layer | None:
    """The layer with this code, or None."""
    with conn.cursor(row_factory=class_row(Layer)) as cur:
        return cur.execute(
            "SELECT id, code, name, kind FROM boundaries.layer WHERE code = %s", (code,)
        ).fetchone()


def get_layer(conn: Connection, code: str) -> Layer:
    """The layer with this code; NotFound naming the layers that exist otherwise."""
    layer = find_layer(conn, code)
    if layer is None:
        known = [row.code for row in list_layers(conn)]
        raise NotFound(
            f"no boundary layer {code!r}; layers: {', '.join(known) if known else '(none yet)'}"
        )
    return layer


def list_layers(conn: Connection) -> list[Layer]:
    """Every layer, by code."""
    with conn.cursor(row_factory=class_row(Layer)) as cur:
        return cur.execute(
            'SELECT id, code, name, kind FROM boundaries.layer ORDER BY code COLLATE "C"'
        ).fetchall()


def list_versions(conn: Connection, layer_id: int | None = None) -> list[Version]:
    """The versions of one layer (or of all), oldest first."""
    with conn.cursor(row_factory=class_row(Version)) as cur:
        return cur.execute(
            f"SELECT {VERSION_COLUMNS} FROM boundaries.version "
            "WHERE %(layer_id)s::integer IS NULL OR layer_id = %(layer_id)s "
            "ORDER BY layer_id, valid_from NULLS FIRST",
            {"layer_id": layer_id},
        ).fetchall()


def version_at(conn: Connection, layer: Layer, at: datetime | None = None) -> Version:
    """The version of ``layer`` in force at ``at`` (default: now); NotFound when none is."""
    with conn.cursor(row_factory=class_row(Version)) as cur:
        version = cur.execute(
            sql.load("version_at"), {"layer_id": layer.id, "at": at}
        ).fetchone()
    if version is None:
        when = at.isoformat() if at else "now"
        raise NotFound(f"boundary layer {layer.code!r} has no version in force at {when}")
    return version


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _features(conn: Connection, layer: Layer, version: Version, code: str | None) -> list[str]:
    rows = conn.execute(
        sql.load("features_geojson"),
        {"layer": layer.code, "version": version.label, "version_id": version.id, "code": code},
    ).fetchall()
    return [row[0] for row in rows]


def feature_collection(conn: Connection, layer_code: str, at: datetime | None = None) -> str:
    """The districts of the version in force at ``at`` as a GeoJSON FeatureCollection text."""
    layer = get_layer(conn, layer_code)
    version = version_at(conn, layer, at)
    head = json.dumps(
        {
            "type": "FeatureCollection",
            "layer": layer.code,
            "kind": layer.kind,
            "version": version.label,
            "valid_from": _utc(version.valid_from),
            "valid_to": _utc(version.valid_to),
        }
    )
    features = ",".join(_features(conn, layer, version, None))
    return f'{head[:-1]}, "features": [{features}]}}'


def feature(conn: Connection, layer_code: str, code: str, at: datetime | None = None) -> str:
    """One district of the version in force at ``at`` as a GeoJSON Feature text."""
    layer = get_layer(conn, layer_code)
    version = version_at(conn, layer, at)
    found = _features(conn, layer, version, code)
    if not found:
        raise NotFound(
            f"boundary layer {layer.code!r} version {version.label!r} has no district {code!r}"
        )
    return found[0]
