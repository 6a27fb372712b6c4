"""Helpers shared by the CLI commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
import psycopg

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
