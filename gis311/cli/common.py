"""Helpers shared by the CLI commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import psycopg
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from gis311.db import database_url, embedded_cluster
from gis311.settings import Settings


def load_settings() -> Settings:
    """Settings from the environment; a bad value becomes one line, not a traceback."""
    try:
        return Settings()
    except Exception as exc:  # pydantic's ValidationError names the variable and the problem
        raise click.ClickException(f"invalid GIS311_ setting: {exc}") from None


def require_database(settings: Settings) -> str:
    """The database URL, after checking the embedded cluster runs when it is the one in use."""
    if not settings.database_url and not embedded_cluster(settings).state().running:
        raise click.ClickException(
            "the embedded database is not running; start it with `gis311 db start`"
        )
    return database_url(settings)


def connect(settings: Settings) -> psycopg.Connection:
    """A connection to the service's database (checked to be running first)."""
    url = require_database(settings)
    try:
        return psycopg.connect(url)
    except psycopg.OperationalError as exc:
        raise click.ClickException(f"cannot connect to the database: {str(exc).strip()}") from None


@contextmanager
def one_line_errors(*kinds: type[Exception]) -> Iterator[None]:
    """Turn the given exception kinds into a one-line ``Error: ...`` and exit status 1."""
    try:
        yield
    except kinds as exc:
        raise click.ClickException(str(exc)) from None


# An importer's progress callback: (phase, done, total or None).
PhaseProgress = Callable[[str, int, int | None], None]


@contextmanager
def progress_bar(path: Path, *, in_bytes: bool = False) -> Iterator[PhaseProgress | None]:
    """A rich progress bar on stderr (None when stderr is no terminal), one bar per phase the
    callback names; counts are bytes when ``in_bytes`` (a streamed CSV), else records."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    amount: ProgressColumn = DownloadColumn() if in_bytes else MofNCompleteColumn()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        amount,
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int | None) -> None:
            if phase not in tasks:
                for task in tasks.values():
                    bar.update(task, visible=False)
                tasks[phase] = bar.add_task(f"{phase} {path.name}", total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update
