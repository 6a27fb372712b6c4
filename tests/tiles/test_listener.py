"""The change feed end to end: triggers on a real table, NOTIFY at commit, cache invalidated."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import AsyncConnection

from tiles.cache import Tile, TileCache
from tiles.listener import apply, listen
from tiles.triggers import change_trigger_ddl

HERE = (14, 4954, 6059)
FAR = (14, 4000, 6000)
# The centre of tile 14/4954/6059 (Boston), lon/lat.
POINT = (-71.1365, 42.3667)


@pytest.fixture
def feed_table(database_url: str) -> Iterator[str]:
    schema = f"feed_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(
            f'CREATE TABLE "{schema}".pts (id bigint PRIMARY KEY, '
            "geom geometry(Point, 4326) NOT NULL, geom_3857 geometry(Point, 3857) "
            "GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED)"
        )
        for statement in change_trigger_ddl(schema, "pts", "pts"):
            conn.execute(statement)
    try:
        yield f'"{schema}".pts'
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def _until(condition, timeout: float = 3.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.01)
    return condition()


def _fill(cache: TileCache) -> None:
    for z, x, y in (HERE, FAR):
        cache.put(("pts", z, x, y, ()), Tile.of(b"old"), cache.generation("pts"))


def test_commit_invalidates_the_changed_tile_and_rollback_does_not(
    database_url: str, feed_table: str
) -> None:
    async def scenario() -> None:
        cache = TileCache(max_bytes=10_000_000, max_stale=2.0)
        task = asyncio.create_task(listen(database_url, cache, heartbeat=0.1))
        try:
            assert await _until(cache.serving)
            _fill(cache)
            insert = (
                f"INSERT INTO {feed_table} (id, geom) "
                "VALUES (%s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
            )
            async with await AsyncConnection.connect(database_url) as conn:
                await conn.execute(insert, (1, *POINT))
                await conn.rollback()
            await asyncio.sleep(0.3)
            assert cache.get(("pts", *HERE, ())) is not None

            async with await AsyncConnection.connect(database_url) as conn:
                await conn.execute(insert, (2, *POINT))
                await conn.commit()
            assert await _until(lambda: cache.get(("pts", *HERE, ())) is None)
            assert cache.get(("pts", *FAR, ())) is not None

            _fill(cache)
            async with await AsyncConnection.connect(database_url, autocommit=True) as conn:
                await conn.execute(f"DELETE FROM {feed_table} WHERE id = 2")
            assert await _until(lambda: cache.get(("pts", *HERE, ())) is None)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(scenario())


def test_a_large_statement_sends_its_extent(database_url: str, feed_table: str) -> None:
    async def scenario() -> None:
        cache = TileCache(max_bytes=10_000_000, max_stale=2.0)
        task = asyncio.create_task(listen(database_url, cache, heartbeat=0.1))
        try:
            assert await _until(cache.serving)
            _fill(cache)
            async with await AsyncConnection.connect(database_url, autocommit=True) as conn:
                await conn.execute(
                    f"INSERT INTO {feed_table} (id, geom) SELECT i, "
                    "ST_SetSRID(ST_MakePoint(%s + i * 1e-5, %s), 4326) "
                    "FROM generate_series(100, 300) i",
                    POINT,
                )
            assert await _until(lambda: cache.get(("pts", *HERE, ())) is None)
            assert cache.get(("pts", *FAR, ())) is not None
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    asyncio.run(scenario())


def test_lost_feed_stops_serving_and_reconnect_clears(database_url: str) -> None:
    async def scenario() -> None:
        cache = TileCache(max_bytes=10_000_000, max_stale=0.3)
        task = asyncio.create_task(listen(database_url, cache, heartbeat=0.05))
        assert await _until(cache.serving)
        _fill(cache)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert not cache.serving()
        assert cache.get(("pts", *HERE, ())) is None

    asyncio.run(scenario())


def test_unreadable_payload_clears_everything() -> None:
    cache = TileCache(max_bytes=10_000_000, max_stale=5.0)
    cache.mark_alive()
    _fill(cache)
    apply(cache, "not json")
    assert len(cache) == 0
