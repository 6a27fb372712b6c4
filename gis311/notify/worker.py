"""The notification worker behind ``gis311 worker``: fan out, claim, send, record, repeat.

One thread owns the database connection: it fans the outbox out, claims due deliveries and
records answers. Sends run in a thread pool of ``GIS311_NOTIFY_CONCURRENCY`` threads (one
shared HTTP client, one SMTP connection per message). A claimed delivery is leased for
``lease_seconds`` (twice the send timeout plus a margin): a worker killed mid-send leaves it
due again after that, and it is sent again with the same delivery id. ``stop()`` (SIGTERM,
SIGINT) stops claiming, lets the sends in flight finish and records them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
import psycopg

from gis311.notify import email, webhook
from gis311.notify.deliveries import Job, Outcome, Retry, claim, record
from gis311.notify.errors import InvalidInput
from gis311.notify.fanout import fan_out_all
from gis311.settings import Settings

log = logging.getLogger("gis311.worker")

# Longest pause after the database went away before connecting again.
RECONNECT_MAX_WAIT = 30.0


@dataclass(frozen=True)
class WorkerConfig:
    """How the worker runs (from the ``GIS311_NOTIFY_*``, ``GIS311_SMTP_*`` and
    ``GIS311_PUBLIC_URL`` settings)."""

    public_url: str = "http://127.0.0.1:8311"
    timezone: str = "UTC"
    concurrency: int = 16
    poll_interval: float = 1.0
    timeout: float = 10.0
    retry: Retry = field(default_factory=Retry)
    smtp: email.SmtpConfig = field(default_factory=lambda: email.SmtpConfig(host=None))

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        """The configuration the settings describe; InvalidInput for an unknown time zone."""
        try:
            ZoneInfo(settings.notify_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(
                f"GIS311_NOTIFY_TIMEZONE: unknown time zone {settings.notify_timezone!r}"
            ) from None
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            public_url=settings.public_url,
            timezone=settings.notify_timezone,
            concurrency=settings.notify_concurrency,
            poll_interval=settings.notify_poll_interval,
            timeout=settings.notify_timeout,
            retry=Retry(
                max_attempts=settings.notify_max_attempts,
                backoff_base=settings.notify_backoff_base,
                backoff_max=settings.notify_backoff_max,
            ),
            smtp=email.SmtpConfig(
                host=settings.smtp_host, port=settings.smtp_port,
                security=settings.smtp_security, username=settings.smtp_username,
                password=password, sender=settings.smtp_from, timeout=settings.notify_timeout,
                timezone=settings.notify_timezone,
            ),
        )

    @property
    def lease_seconds(self) -> float:
        """How long a claimed delivery stays with its worker before it is due again."""
        return 2 * self.timeout + 5.0


@dataclass
class Totals:
    """What a run did."""

    events: int = 0
    created: int = 0
    sent: int = 0
    delivered: int = 0
    refused: int = 0

    def __str__(self) -> str:
        return (
            f"fanned out {self.events} events into {self.created} deliveries; "
            f"{self.sent} sends: {self.delivered} delivered, {self.refused} refused or failed"
        )


class Worker:
    """Drains the outbox and sends deliveries until stopped (or, ``once``, until idle)."""

    def __init__(
        self, connect: Callable[[], psycopg.Connection], config: WorkerConfig
    ) -> None:
        self.connect = connect
        self.config = config
        self.totals = Totals()
        self._stopping = threading.Event()
        self._conn: psycopg.Connection | None = None

    def stop(self) -> None:
        """Ask the run to end: no more claims; sends in flight finish and are recorded."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        """Whether ``stop()`` was called."""
        return self._stopping.is_set()

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = self.connect()
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def _send(self, client: httpx.Client, job: Job) -> Outcome:
        try:
            if job.channel == "webhook":
                return webhook.send(client, job, self.config.timeout)
            return email.send(job, self.config.smtp)
        except Exception as exc:  # a bug here must not kill the sender: log, retry later
            log.exception("sending to subscription %s failed", job.subscription_id)
            return Outcome(False, None, f"internal error: {type(exc).__name__}: {exc}"[:500])

    def _record(self, answers: list[tuple[Job, Outcome]]) -> None:
        # One transaction for every answer at hand: a commit per delivery would cap the
        # worker at the disk's fsync rate.
        record(self._connection(), answers, self.config.retry)
        for job, outcome in answers:
            self.totals.sent += 1
            if outcome.ok:
                self.totals.delivered += len(job.items)
                log.debug("delivered %s to subscription %s", job.items[0].delivery_id,
                          job.subscription_id)
            else:
                self.totals.refused += len(job.items)
                log.info("subscription %s (%s): attempt %s of %s failed: %s",
                         job.subscription_id, job.url or job.email, job.items[0].attempt,
                         self.config.retry.max_attempts, outcome.error)
        answers.clear()

    def _fan_out(self) -> int:
        done = fan_out_all(
            self._connection(), public_url=self.config.public_url,
            timezone=self.config.timezone,
        )
        self.totals.events += done.events
        self.totals.created += done.deliveries
        if done.events:
            log.info("fanned out %s events into %s deliveries", done.events, done.deliveries)
        return done.events

    def run(self, *, once: bool = False) -> Totals:
        """Work until ``stop()``; with ``once``, until nothing is left that is due now."""
        cfg = self.config
        in_flight: dict[Future[Outcome], Job] = {}
        answered: list[tuple[Job, Outcome]] = []
        last_fan_out = float("-inf")
        db_wait = cfg.poll_interval
        pool = ThreadPoolExecutor(max_workers=cfg.concurrency, thread_name_prefix="gis311-send")
        limits = httpx.Limits(max_connections=cfg.concurrency,
                              max_keepalive_connections=cfg.concurrency)
        client = httpx.Client(limits=limits, trust_env=False)
        try:
            while not self.stopping:
                try:
                    self._record(answered)
                    found = 0
                    now = time.monotonic()
                    # Busy sending: look at the outbox once per poll interval (or again at
                    # once while it has events); idle: always, before waiting or exiting.
                    if not in_flight or now - last_fan_out >= cfg.poll_interval:
                        found = self._fan_out()
                        last_fan_out = float("-inf") if found else now
                    claimed: list[Job] = []
                    free = cfg.concurrency - len(in_flight)
                    # Claim in bunches, not one delivery per finished send.
                    if free > 0 and (not in_flight or free * 2 >= cfg.concurrency):
                        claimed = claim(self._connection(), limit=free,
                                        lease_seconds=cfg.lease_seconds)
                    db_wait = cfg.poll_interval
                except psycopg.OperationalError as exc:
                    if once:
                        raise
                    log.warning("database unavailable (%s); again in %.1f s",
                                str(exc).strip(), db_wait)
                    self._drop_connection()
                    self._stopping.wait(db_wait)
                    db_wait = min(db_wait * 2, RECONNECT_MAX_WAIT)
                    continue
                for job in claimed:
                    in_flight[pool.submit(self._send, client, job)] = job
                if not in_flight:
                    if not claimed and not found:
                        if once:
                            break
                        self._stopping.wait(cfg.poll_interval)
                    continue
                done, _ = wait(in_flight, timeout=cfg.poll_interval,
                               return_when=FIRST_COMPLETED)
                for future in done:
                    answered.append((in_flight.pop(future), future.result()))
            # Stopping: what is in flight ends within the send timeout; record it.
            for future in list(in_flight):
                answered.append((in_flight.pop(future), future.result()))
            self._record(answered)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            client.close()
            self._drop_connection()
        return self.totals
