"""In-process tile cache with change-driven invalidation and a staleness bound.

Entries live until the data under them changes: a change notification names a layer and the
EPSG:3857 boxes that changed (old and new positions), and every cached tile of that layer whose
buffered bounds meet one of the boxes is dropped. The cache serves entries only while its
change feed is known to be alive (``mark_alive`` within the last ``max_stale`` seconds); when the
feed goes quiet it serves nothing, so a tile is never stale for longer than ``max_stale``.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field

from tiles.grid import WORLD, Bbox, tile_bbox, tiles_covering
from tiles.mvt import BUFFER, EXTENT

# Level 6 is zlib's default; tiles are compressed once when cached, then served many times.
GZIP_LEVEL = 6


@dataclass
class Tile:
    """A rendered tile: its bytes, strong ETag and (made on first demand) gzip form."""

    data: bytes
    etag: str
    _gzipped: bytes | None = field(default=None, repr=False)

    @classmethod
    def of(cls, data: bytes) -> Tile:
        """Wrap freshly rendered bytes, computing the ETag from the content."""
        digest = hashlib.blake2b(data, digest_size=12).hexdigest()
        return cls(data=data, etag=f'"{digest}"')

    def gzipped(self) -> bytes:
        """The gzip-encoded bytes (computed once)."""
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.data, compresslevel=GZIP_LEVEL, mtime=0)
        return self._gzipped

    @property
    def size(self) -> int:
        return len(self.data) + (len(self._gzipped) if self._gzipped else 0) + 200


Key = tuple[str, int, int, int, Hashable]


class TileCache:
    """LRU of tiles by total bytes, keyed by (layer, z, x, y, filter values).

    Thread-safe: the tile route runs on the event loop, while invalidations can come from the
    listener task or from worker threads.
    """

    def __init__(self, max_bytes: int, max_stale: float) -> None:
        self.max_bytes = max_bytes
        self.max_stale = max_stale
        self._entries: OrderedDict[Key, Tile] = OrderedDict()
        self._by_layer: dict[str, set[Key]] = {}
        self._bytes = 0
        self._alive_until = 0.0
        self._generation: dict[str, int] = {}
        self._lock = threading.Lock()
        self._inflight: dict[Key, asyncio.Future[Tile]] = {}
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    # -- liveness of the change feed --------------------------------------------------------------

    def mark_alive(self) -> None:
        """The change feed has delivered everything committed until now."""
        self._alive_until = time.monotonic() + self.max_stale

    def mark_dead(self) -> None:
        """The change feed is down: serve nothing from the cache until it is back."""
        self._alive_until = 0.0

    def serving(self) -> bool:
        """Whether cached entries may be served now."""
        return self.enabled and time.monotonic() < self._alive_until

    # -- lookups ----------------------------------------------------------------------------------

    def get(self, key: Key) -> Tile | None:
        """The cached tile, or None (also when the cache may not serve now)."""
        if not self.serving():
            return None
        with self._lock:
            tile = self._entries.get(key)
            if tile is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return tile

    def generation(self, layer: str) -> int:
        """A counter bumped by every invalidation of ``layer``."""
        return self._generation.get(layer, 0)

    def put(self, key: Key, tile: Tile, generation: int) -> None:
        """Cache ``tile`` unless ``layer`` changed since its render started (``generation``)."""
        if not self.serving():
            return
        layer = key[0]
        with self._lock:
            if self._generation.get(layer, 0) != generation:
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = tile
            self._by_layer.setdefault(layer, set()).add(key)
            self._bytes += tile.size
            while self._bytes > self.max_bytes and self._entries:
                self._evict_oldest()

    def _evict_oldest(self) -> None:
        key, tile = self._entries.popitem(last=False)
        self._bytes -= tile.size
        self._by_layer.get(key[0], set()).discard(key)

    async def get_or_render(self, key: Key, render: Callable[[], Awaitable[bytes]]) -> Tile:
        """The cached tile, or render it once for all concurrent requests of the same key."""
        tile = self.get(key)
        if tile is not None:
            return tile
        self.misses += 1
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Tile] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        generation = self.generation(key[0])
        try:
            tile = Tile.of(await render())
        except BaseException as exc:
            future.set_exception(exc)
            # Consumed here so an unawaited future does not warn.
            future.exception()
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(tile)
        self.put(key, tile, generation)
        return tile

    # -- invalidation -----------------------------------------------------------------------------

    def invalidate(self, layer: str, boxes: Iterable[Bbox] | None) -> int:
        """Drop the tiles of ``layer`` meeting any of ``boxes`` (all of them for None).

        Returns the number of tiles dropped.
        """
        with self._lock:
            self._generation[layer] = self._generation.get(layer, 0) + 1
            keys = self._by_layer.get(layer)
            if not keys:
                return 0
            doomed = set(keys) if boxes is None else self._keys_meeting(keys, list(boxes))
            for key in doomed:
                tile = self._entries.pop(key, None)
                if tile is not None:
                    self._bytes -= tile.size
                keys.discard(key)
            return len(doomed)

    @staticmethod
    def _keys_meeting(keys: set[Key], boxes: list[Bbox]) -> set[Key]:
        margin = BUFFER / EXTENT
        zooms = {key[1] for key in keys}
        # Few cached tiles: test each; else walk the tiles covering each box per zoom.
        covering_count = sum(
            _covering_estimate(box, z, margin) for box in boxes for z in zooms
        )
        if covering_count > len(keys):
            return {k for k in keys if any(_meets(tile_bbox(*k[1:4]), b, margin) for b in boxes)}
        wanted: set[tuple[int, int, int]] = set()
        for box in boxes:
            for z in zooms:
                wanted.update((z, x, y) for x, y in tiles_covering(box, z, margin))
        return {k for k in keys if k[1:4] in wanted}

    def clear(self) -> None:
        """Drop everything (e.g. after the change feed reconnects)."""
        with self._lock:
            for layer in list(self._by_layer) + list(self._generation):
                self._generation[layer] = self._generation.get(layer, 0) + 1
            self._entries.clear()
            self._by_layer.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


def _covering_estimate(box: Bbox, z: int, margin: float) -> int:
    size = WORLD / (1 << z)
    w = (box[2] - box[0]) / size + 1 + 2 * margin
    h = (box[3] - box[1]) / size + 1 + 2 * margin
    return int(w) * int(h)


def _meets(tile: Bbox, box: Bbox, margin: float) -> bool:
    pad = (tile[2] - tile[0]) * margin
    return not (
        box[2] < tile[0] - pad or box[0] > tile[2] + pad
        or box[3] < tile[1] - pad or box[1] > tile[3] + pad
    )
