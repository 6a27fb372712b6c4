"""The change feed: apply the database's log of changed boxes (``tiles.change``) to the cache.

Triggers installed by the migrations (``tiles.log_change()``) write one row per changing
statement: the tile layer and the EPSG:3857 boxes that changed (null: the whole layer). The feed
polls the log every ``poll_interval`` seconds, or at once when a writer sends a NOTIFY on channel
``gis311_tiles`` after committing. Each poll reads the rows that became visible since the
previous one and no others (``tiles/sql/changes.sql``): those past the highest seq it saw, and
those of the transactions that were still running at it. So a long transaction elsewhere (a big
import) does not make polls re-read the log. After each successful poll the cache may serve for
``max_stale`` more seconds: everything committed before the poll has been applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from importlib.resources import files
from typing import Any

import psycopg
from psycopg import AsyncConnection

from tiles.cache import TileCache
from tiles.grid import Bbox

CHANNEL = "gis311_tiles"
# At most one wake-up NOTIFY per process and one poll per feed in this many seconds: under a
# burst of writes the feed still polls often enough, and the database is not flooded.
MIN_GAP = 0.02
# Log rows older than this are deleted by the pollers; no poller lags that far behind.
KEEP_LOG = "1 hour"

log = logging.getLogger(__name__)


def _boxes(raw: Any) -> list[Bbox] | None:
    if raw is None:
        return None
    return [(float(b[0]), float(b[1]), float(b[2]), float(b[3])) for b in raw]


class ChangeFeed:
    """Keeps ``cache`` current with the change log; ``run`` until cancelled."""

    def __init__(self, conninfo: str, cache: TileCache, *, poll_interval: float | None = None):
        self.conninfo = conninfo
        self.cache = cache
        self.poll_interval = (
            poll_interval if poll_interval is not None else max(0.02, cache.max_stale / 8)
        )
        self._after: int | None = None
        self._running: list[str] = []
        self._polls = 0
        self._wake_pending = False
        self._last_wake = 0.0
        self._last_poll = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waker: AsyncConnection | None = None
        self._waking: set[asyncio.Task[None]] = set()
        self._closed = False
        self._poll_sql = (files("tiles") / "sql" / "changes.sql").read_text()

    async def run(self) -> None:
        """Poll and apply until cancelled; on failure stop serving and reconnect."""
        self._loop = asyncio.get_running_loop()
        while True:
            try:
                async with await AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    # Start from now with an empty cache: what changed before is not in it.
                    self._after = None
                    await self.poll(conn)
                    self.cache.clear()
                    self.cache.mark_alive()
                    while True:
                        async for _ in conn.notifies(timeout=self.poll_interval, stop_after=1):
                            pass
                        gap = self._last_poll + MIN_GAP - self._loop.time()
                        if gap > 0:
                            await asyncio.sleep(gap)
                        await self.poll(conn)
                        self.cache.mark_alive()
            except asyncio.CancelledError:
                self.cache.mark_dead()
                raise
            except psycopg.Error as exc:
                self.cache.mark_dead()
                log.warning("tile change feed lost (%s); retrying", exc)
                await asyncio.sleep(1.0)

    async def poll(self, conn: AsyncConnection) -> int:
        """Apply the log rows that became visible since the last poll; returns how many."""
        cur = await conn.execute(self._poll_sql, {
            "first": self._after is None, "after": self._after or 0, "running": self._running,
        })
        rows = await cur.fetchall()
        applied = 0
        for _max, _running, seq, layer, boxes in rows:
            if seq is not None:
                self.cache.invalidate(layer, _boxes(boxes))
                applied += 1
        self._after = int(rows[0][0] or 0)
        self._running = list(rows[0][1])
        self._polls += 1
        self._last_poll = asyncio.get_running_loop().time()
        if self._polls % 2000 == 0:
            await conn.execute(f"DELETE FROM tiles.change WHERE at < now() - interval '{KEEP_LOG}'")
        return applied

    def wake(self) -> None:
        """Ask every process's feed to poll now: call after committing a change.

        Thread-safe and never blocks; wake-ups are coalesced to one NOTIFY per ``MIN_GAP``.
        """
        loop = self._loop
        if loop is None or self._wake_pending:
            return
        self._wake_pending = True
        with contextlib.suppress(RuntimeError):  # the loop closed at shutdown
            loop.call_soon_threadsafe(self._schedule_notify, loop)

    def _schedule_notify(self, loop: asyncio.AbstractEventLoop) -> None:
        delay = max(0.0, self._last_wake + MIN_GAP - loop.time())
        loop.call_later(delay, self._start_notify, loop)

    def _start_notify(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._closed:
            return
        task = loop.create_task(self._notify())
        self._waking.add(task)
        task.add_done_callback(self._waking.discard)

    async def _notify(self) -> None:
        # Cleared before sending: a commit after this point asks for a wake-up of its own.
        self._wake_pending = False
        self._last_wake = asyncio.get_running_loop().time()
        try:
            if self._waker is None or self._waker.closed:
                self._waker = await AsyncConnection.connect(self.conninfo, autocommit=True)
            await self._waker.execute(f"NOTIFY {CHANNEL}")
        except psycopg.Error as exc:
            log.warning("could not wake tile change feeds: %s", exc)
            self._waker = None

    async def close(self) -> None:
        """Stop sending wake-ups and close their connection."""
        self._closed = True
        for task in list(self._waking):
            task.cancel()
        await asyncio.gather(*self._waking, return_exceptions=True)
        if self._waker is not None:
            await self._waker.close()
            self._waker = None
