"""The change feed: LISTEN for the notifications the database sends when tiled rows change.

Triggers installed by the migrations (``tiles.notify_change()``) send, on channel
``gis311_tiles``, a JSON payload ``{"layer": "...", "boxes": [[minx, miny, maxx, maxy], ...]}``
in EPSG:3857 (``boxes`` null when the change is too large to list). The listener applies them to
the cache and, between notifications, proves the connection alive so the cache may keep serving.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import psycopg
from psycopg import AsyncConnection

from tiles.cache import TileCache

CHANNEL = "gis311_tiles"

log = logging.getLogger(__name__)


def apply(cache: TileCache, payload: str) -> None:
    """Apply one notification payload to the cache (unreadable payloads flush the layer)."""
    try:
        message: dict[str, Any] = json.loads(payload)
        layer = str(message["layer"])
    except (ValueError, KeyError, TypeError):
        log.warning("unreadable tile change notification %r; clearing the cache", payload)
        cache.clear()
        return
    boxes = message.get("boxes")
    if boxes is None:
        cache.invalidate(layer, None)
        return
    cache.invalidate(
        layer, [(float(b[0]), float(b[1]), float(b[2]), float(b[3])) for b in boxes]
    )


async def listen(conninfo: str, cache: TileCache, *, heartbeat: float | None = None) -> None:
    """Run until cancelled: keep a LISTEN connection, apply its notifications to ``cache``.

    After each quiet ``heartbeat`` (default a quarter of the cache's staleness bound) a trivial
    query proves the connection alive; whatever was committed before it has been delivered by
    then. On any connection failure the cache stops serving, and on reconnect it is cleared,
    since notifications sent while disconnected are lost.
    """
    beat = heartbeat if heartbeat is not None else max(0.05, cache.max_stale / 4)
    while True:
        try:
            async with await AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                cache.clear()
                cache.mark_alive()
                while True:
                    async for note in conn.notifies(timeout=beat):
                        apply(cache, note.payload)
                    await conn.execute("SELECT 1")
                    cache.mark_alive()
        except asyncio.CancelledError:
            cache.mark_dead()
            raise
        except psycopg.Error as exc:
            cache.mark_dead()
            log.warning("tile change feed lost (%s); retrying", exc)
            await asyncio.sleep(1.0)
