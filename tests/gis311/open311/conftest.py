"""Fixtures of the Open311 tests: the town in the test's transaction and an app on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis311.app import create_app
from gis311.settings import Settings
from tests.conftest import bind
from tests.gis311.open311 import town


@pytest.fixture
def town_keys(db: psycopg.Connection) -> town.Keys:
    return town.build(db)


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture
def o311(
    settings: Settings, db: psycopg.Connection, town_keys: town.Keys, media_dir: Path
) -> Iterator[TestClient]:
    """A client of an app whose routes use the test's connection (jurisdiction layer: ward)."""
    app = create_app(settings.model_copy(update={
        "jurisdiction_layer": "ward", "media_dir": media_dir, "media_max_bytes": 64 * 1024,
        # No tile cache: these tests are about Open311, not the tile change feed.
        "tile_cache_mb": 0,
    }))
    bind(app, db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
