"""The tile cache: LRU by bytes, invalidation by box, staleness bound, single flight."""

from __future__ import annotations

import asyncio
import time

from tiles.cache import Tile, TileCache
from tiles.grid import tile_bbox


def _alive(max_bytes: int = 10_000_000, max_stale: float = 60.0) -> TileCache:
    cache = TileCache(max_bytes=max_bytes, max_stale=max_stale)
    cache.mark_alive()
    return cache


def test_put_then_get_returns_the_same_tile_with_a_strong_etag() -> None:
    cache = _alive()
    tile = Tile.of(b"mvt-bytes")
    cache.put(("cases", 14, 1, 2, ()), tile, cache.generation("cases"))
    got = cache.get(("cases", 14, 1, 2, ()))
    assert got is tile
    assert got.etag.startswith('"') and not got.etag.startswith('W/')
    assert Tile.of(b"mvt-bytes").etag == tile.etag
    assert Tile.of(b"other").etag != tile.etag


def test_gzip_is_computed_once_and_decodes_back() -> None:
    import gzip

    tile = Tile.of(b"x" * 1000)
    assert tile.gzipped() is tile.gzipped()
    assert gzip.decompress(tile.gzipped()) == tile.data


def test_invalidation_drops_only_tiles_meeting_the_box() -> None:
    cache = _alive()
    here, far = (14, 4954, 6059), (14, 4000, 6000)
    for z, x, y in (here, far):
        cache.put(("cases", z, x, y, ()), Tile.of(b"t"), cache.generation("cases"))
    cache.put(("assets", *here, ()), Tile.of(b"a"), cache.generation("assets"))
    minx, miny, maxx, maxy = tile_bbox(*here)
    point = ((minx + maxx) / 2, (miny + maxy) / 2)
    assert cache.invalidate("cases", [(*point, *point)]) == 1
    assert cache.get(("cases", *here, ())) is None
    assert cache.get(("cases", *far, ())) is not None
    assert cache.get(("assets", *here, ())) is not None


def test_a_huge_box_is_tested_against_cached_tiles_not_enumerated() -> None:
    cache = _alive()
    cache.put(("cases", 22, 1_000_000, 1_500_000, ()), Tile.of(b"t"), 0)
    world = (-2e7, -2e7, 2e7, 2e7)
    started = time.perf_counter()
    assert cache.invalidate("cases", [world]) == 1
    assert time.perf_counter() - started < 1.0


def test_a_render_overtaken_by_a_change_is_not_cached() -> None:
    cache = _alive()
    generation = cache.generation("cases")
    cache.invalidate("cases", None)
    cache.put(("cases", 1, 0, 0, ()), Tile.of(b"stale"), generation)
    assert cache.get(("cases", 1, 0, 0, ())) is None


def test_lru_evicts_the_least_recently_used_over_budget() -> None:
    cache = _alive(max_bytes=3 * (100 + 200))
    for i in range(3):
        cache.put(("cases", 5, i, 0, ()), Tile.of(bytes(100)), 0)
    cache.get(("cases", 5, 0, 0, ()))
    cache.put(("cases", 5, 3, 0, ()), Tile.of(bytes(100)), 0)
    assert cache.get(("cases", 5, 1, 0, ())) is None
    assert cache.get(("cases", 5, 0, 0, ())) is not None


def test_without_a_live_change_feed_nothing_is_served() -> None:
    cache = TileCache(max_bytes=1_000_000, max_stale=0.05)
    cache.mark_alive()
    cache.put(("cases", 1, 0, 0, ()), Tile.of(b"t"), 0)
    assert cache.get(("cases", 1, 0, 0, ())) is not None
    time.sleep(0.08)
    assert cache.get(("cases", 1, 0, 0, ())) is None


def test_concurrent_misses_render_once() -> None:
    cache = _alive()
    calls = 0

    async def render() -> bytes:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return b"tile"

    async def main() -> list[Tile]:
        return await asyncio.gather(
            *(cache.get_or_render(("cases", 3, 1, 1, ()), render) for _ in range(10))
        )

    tiles = asyncio.run(main())
    assert calls == 1
    assert {t.etag for t in tiles} == {tiles[0].etag}
    assert len(cache) == 1
