"""``GET /healthz``: is the database reachable, which PostGIS, which migration."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gis311 import migrate
from gis311.deps import ConnDep
from gis311.errors import ApiError
from gis311.routing import StrictJSONRoute

router = APIRouter(route_class=StrictJSONRoute, tags=["health"])


@router.get("/healthz", summary="Service and database health")
def healthz(conn: ConnDep) -> dict[str, Any]:
    """200 with the PostGIS version and migration revision; 503 when the schema is behind."""
    postgis, server = conn.execute(
        "SELECT postgis_lib_version(), current_setting('server_version')"
    ).fetchone() or (None, None)
    revision = migrate.current_revision(conn)
    head = migrate.head_revision()
    if revision != head:
        raise ApiError(
            f"database is at migration {revision or 'none'}, code expects {head}; "
            "run `gis311 db upgrade`",
            status=503,
        )
    return {
        "status": "ok",
        "database": "reachable",
        "postgresql_version": server,
        "postgis_version": postgis,
        "migration_revision": revision,
    }
