"""``gis311 worker``: send the notifications the case outbox asks for."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

import click
import psycopg

from gis311.cli.common import connect, load_settings, one_line_errors, require_database
from gis311.notify.errors import InvalidInput
from gis311.notify.worker import Worker, WorkerConfig


@click.command("worker")
@click.option("--once", is_flag=True,
              help="Fan out the outbox, send every delivery due now, then exit (for cron).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=None,
              help="Deliveries sent at once [default: GIS311_NOTIFY_CONCURRENCY, 16].")
@click.option("-v", "--verbose", is_flag=True, help="Log every delivery.")
def worker(once: bool, concurrency: int | None, verbose: bool) -> None:
    """Drain the case outbox into deliveries and send them (webhooks, email), with retries.

    Runs until SIGTERM or SIGINT, then finishes the sends in flight. Killing it at any moment
    loses nothing: deliveries it had claimed are sent again (same delivery id) once their
    lease runs out.
    """
    settings = load_settings()
    if concurrency is not None:
        settings = settings.model_copy(update={"notify_concurrency": concurrency})
    with one_line_errors(InvalidInput):
        config = WorkerConfig.from_settings(settings)
    url = require_database(settings)
    connect(settings).close()  # a clear one-line error now rather than retries forever
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    runner = Worker(lambda: psycopg.connect(url), config)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if runner.stopping:
            raise KeyboardInterrupt  # a second signal: stop waiting for the sends in flight
        logging.getLogger("gis311.worker").info(
            "%s: finishing the sends in flight", signal.Signals(signum).name
        )
        runner.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if not once:
        click.echo(f"worker: {config.concurrency} senders, polling every "
                   f"{config.poll_interval:g} s; stop with Ctrl-C", err=True)
    with one_line_errors(psycopg.OperationalError):
        totals = runner.run(once=once)
    click.echo(f"worker: {totals}", err=True)
