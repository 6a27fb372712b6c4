"""The change feed end to end: triggers on a real table, log rows at commit, cache invalidated."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterator

import psycopg
import pytest
from psycopg import AsyncConnection

from tiles.cache import Tile, TileCache
from tiles.listener import ChangeFeed
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


async def _until(condition: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.005)
    return condition()


def _fill(cache: TileCache) -> None:
    for z, x, y in (HERE, FAR):
        cache.put(("pts", z, x, y, ()), Tile.of(b"old"), cache.generation("pts"))


def _cached(cache: TileCache, tile: tuple[int, int, int]) -> bool:
    return cache.get(("pts", *tile, ())) is not None


def _with_feed(
    database_url: str, scenario: Callable[[TileCache, ChangeFeed], Awaitable[None]],
    *, max_stale: float = 2.0, poll_interval: float = 0.05,
) -> None:
    async def main() -> None:
        cache = TileCache(max_bytes=10_000_000, max_stale=max_stale)
        feed = ChangeFeed(database_url, cache, poll_interval=poll_interval)
        task = asyncio.create_task(feed.run())
        try:
            assert await _until(cache.serving)
            await scenario(cache, feed)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await feed.close()

    asyncio.run(main())


INSERT = "INSERT INTO {} (id, geom) VALUES (%s, ST_SetSRID(ST_MakePoint(%s, %s), 4326))"


def test_commit_invalidates_the_changed_tile_and_rollback_does_not(
    database_url: str, feed_table: str
) -> None:
    async def scenario(cache: TileCache, feed: ChangeFeed) -> None:
        _fill(cache)
        async with await AsyncConnection.connect(database_url) as conn:
            await conn.execute(INSERT.format(feed_table), (1, *POINT))
            await conn.rollback()
        await asyncio.sleep(0.3)
        assert _cached(cache, HERE)

        async with await AsyncConnection.connect(database_url) as conn:
            await conn.execute(INSERT.format(feed_table), (2, *POINT))
            await conn.commit()
        assert await _until(lambda: not _cached(cache, HERE))
        assert _cached(cache, FAR)

        _fill(cache)
        async with await AsyncConnection.connect(database_url, autocommit=True) as conn:
            await conn.execute(f"DELETE FROM {feed_table} WHERE id = 2")
        assert await _until(lambda: not _cached(cache, HERE))

    _with_feed(database_url, scenario)


def test_a_wake_up_makes_other_feeds_poll_at_once(database_url: str, feed_table: str) -> None:
    async def scenario(cache: TileCache, feed: ChangeFeed) -> None:
        _fill(cache)
        async with await AsyncConnection.connect(database_url, autocommit=True) as conn:
            await conn.execute(INSERT.format(feed_table), (3, *POINT))
            await conn.execute("NOTIFY gis311_tiles")
        started = asyncio.get_running_loop().time()
        assert await _until(lambda: not _cached(cache, HERE))
        # Polling alone would take up to 5 s here.
        assert asyncio.get_running_loop().time() - started < 1.0

    _with_feed(database_url, scenario, poll_interval=5.0, max_stale=30.0)


def test_a_transaction_committing_after_a_later_one_is_not_missed(
    database_url: str, feed_table: str
) -> None:
    far_point = (-80.0, 35.0)

    async def scenario(cache: TileCache, feed: ChangeFeed) -> None:
        _fill(cache)
        slow = await AsyncConnection.connect(database_url)
        try:
            # The slow transaction writes first (lower seq) but commits last.
            await slow.execute(INSERT.format(feed_table), (10, *POINT))
            async with await AsyncConnection.connect(database_url, autocommit=True) as fast:
                await fast.execute(INSERT.format(feed_table), (11, *far_point))
            await asyncio.sleep(0.3)  # several polls see the fast row, not the slow one
            assert _cached(cache, HERE)
            await slow.commit()
        finally:
            await slow.close()
        assert await _until(lambda: not _cached(cache, HERE))

    _with_feed(database_url, scenario)


def test_a_large_statement_logs_its_extent(database_url: str, feed_table: str) -> None:
    async def scenario(cache: TileCache, feed: ChangeFeed) -> None:
        _fill(cache)
        async with await AsyncConnection.connect(database_url, autocommit=True) as conn:
            await conn.execute(
                f"INSERT INTO {feed_table} (id, geom) SELECT i, "
                "ST_SetSRID(ST_MakePoint(%s + i * 1e-5, %s), 4326) "
                "FROM generate_series(100, 300) i",
                POINT,
            )
        assert await _until(lambda: not _cached(cache, HERE))
        assert _cached(cache, FAR)

    _with_feed(database_url, scenario)


def test_a_stopped_feed_stops_the_cache_serving(database_url: str) -> None:
    async def main() -> None:
        cache = TileCache(max_bytes=10_000_000, max_stale=0.3)
        feed = ChangeFeed(database_url, cache, poll_interval=0.05)
        task = asyncio.create_task(feed.run())
        assert await _until(cache.serving)
        _fill(cache)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert not cache.serving()
        assert cache.get(("pts", *HERE, ())) is None

    asyncio.run(main())


def test_a_quiet_feed_lets_entries_age_out_of_serving(database_url: str) -> None:
    async def scenario(cache: TileCache, feed: ChangeFeed) -> None:
        _fill(cache)
        assert _cached(cache, HERE)
        await asyncio.sleep(0.5)  # polls keep confirming: still served
        assert _cached(cache, HERE)

    _with_feed(database_url, scenario, max_stale=0.3, poll_interval=0.05)
