"""``gis311 demo``: the demo city (Cambridge, MA) behind ``make demo``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gis311.cli.common import connect, load_settings, one_line_errors
from gis311.demo import access
from gis311.demo.load import DEFAULT_CASES, DEFAULT_SEED, DemoError, Loaded, demo_cases, load
from gis311.keys import KeyStoreError
from gis311.settings import Settings
from importers.errors import ImportFileError
from registry.errors import RegistryError


@click.group("demo")
def demo() -> None:
    """The demo city: Cambridge, MA (City of Cambridge open data, ODC-PDDL 1.0)."""


def map_url(settings: Settings) -> str:
    """Where the map page is served by `gis311 serve` with these settings."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{host}:{settings.port}/map"


@contextmanager
def _ticker() -> Iterator[Callable[[int], Callable[[int], None]] | None]:
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with Progress(TextColumn("filing cases"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:

        def ticker(total: int) -> Callable[[int], None]:
            task = bar.add_task("replay", total=total)
            return lambda done: bar.update(task, completed=done)

        yield ticker


@demo.command("load")
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int,
              help="Seed of the synthetic cases: the same seed files the same cases.")
@click.option("--cases", default=DEFAULT_CASES, show_default=True,
              type=click.IntRange(1, 100_000), help="Reports to file (repeats included).")
def demo_load(seed: int, cases: int) -> None:
    """Load the demo city into an empty database, in one transaction: the example catalog,
    wards, precincts, neighborhoods and police sectors, streetlights, hydrants, street
    segments, traffic signals and utility poles, synthetic cases over the last 90 days
    (filed through the real intake, repeat reports included), and API keys: one councilor
    key per ward, a crew key and an admin key, printed once and written to
    $GIS311_HOME/demo-keys.txt. Skipped when the demo is loaded already."""
    settings = load_settings()
    keys_file = settings.home_path / access.KEYS_FILE
    url = map_url(settings)
    with (one_line_errors(DemoError, ImportFileError, RegistryError, KeyStoreError),
          connect(settings) as conn):
        already = demo_cases(conn)
        if already:
            click.echo(f"demo city already loaded ({already} demo cases); skipped")
            if not keys_file.exists():
                click.echo(f"its keys are not in {keys_file}; create new ones with "
                           "`gis311 keys create`")
            return
        with _ticker() as ticker:
            loaded = load(conn, seed=seed, cases=cases, say=click.echo, ticker=ticker)
        if loaded is None:  # another load committed it meanwhile
            click.echo("demo city already loaded; skipped")
            return
        conn.commit()
    text = access.keys_text(loaded.keys, url)
    _summary(loaded)
    click.echo(text, nl=False)
    try:
        access.write_keys_file(keys_file, text)
        click.echo(f"keys saved in {keys_file} (mode 0600); they are not shown again")
    except OSError as exc:
        click.echo(f"could not save the keys in {keys_file}: {exc.strerror}; copy them now",
                   err=True)
    click.echo(f"map: {url}")


def _summary(loaded: Loaded) -> None:
    c = loaded.cases
    click.echo(
        f"cases: {c.total} filed ({c.total - c.repeats} cases and {c.repeats} repeat reports "
        f"folded into them), {loaded.status_changes} status changes; now {c.open} open, "
        f"{c.in_progress} in progress, {c.closed} closed"
    )
    click.echo(f"demo city loaded in {loaded.seconds:.1f} s")
