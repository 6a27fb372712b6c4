"""The route class commits a request's writes before the response is sent, never after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from gis311.app import create_app
from gis311.deps import ConnDep
from gis311.routing import StrictJSONRoute
from gis311.settings import Settings


@pytest.fixture
def table(database_url: str) -> Iterator[str]:
    name = f"gis311.routing_probe_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {name} (note text)")
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE {name}")


def _notes(database_url: str, table: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        return [r[0] for r in conn.execute(f"SELECT note FROM {table} ORDER BY note")]


def test_writes_are_committed_before_the_answer_and_errors_roll_back(
    settings: Settings, database_url: str, table: str
) -> None:
    probe = APIRouter(route_class=StrictJSONRoute)
    seen_by_others: list[list[str]] = []

    @probe.post("/probe/{note}")
    def write(note: str, conn: ConnDep) -> dict[str, str]:
        conn.execute(f"INSERT INTO {table} VALUES (%s)", (note,))  # no explicit transaction
        if note == "fails":
            raise RuntimeError("after the write")
        return {"note": note}

    app = create_app(settings.model_copy(update={"tile_cache_mb": 0}))
    app.include_router(probe)

    @app.middleware("http")
    async def look_when_answering(request, call_next):
        response = await call_next(request)
        seen_by_others.append(_notes(database_url, table))
        return response

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/probe/kept").status_code == 200
        assert seen_by_others[-1] == ["kept"]  # visible to others before the client heard back
        assert client.post("/probe/fails").status_code == 500
    assert _notes(database_url, table) == ["kept"]
