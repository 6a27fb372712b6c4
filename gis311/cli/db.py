"""``gis311 db``: the embedded PostGIS cluster and migrations."""

from __future__ import annotations

import os
import sys

import click

from gis311.cli.common import load_settings, require_database
from gis311.db import embedded_cluster, libpq_url
from gis311.embedded import EmbeddedError


@click.group()
def db() -> None:
    """Manage the database (the embedded PostGIS cluster unless GIS311_DATABASE_URL is set)."""


@db.command("start")
def db_start() -> None:
    """Create (first time) and start the embedded PostGIS cluster."""
    settings = load_settings()
    if settings.database_url:
        click.echo("GIS311_DATABASE_URL is set: using that database, nothing to start.")
        return
    cluster = embedded_cluster(settings)
    try:
        started = cluster.start()
    except EmbeddedError as exc:
        raise click.ClickException(str(exc)) from None
    if started:
        click.echo(f"database started on 127.0.0.1:{cluster.port} (data in {cluster.data_dir})")
    else:
        click.echo(f"database already running on 127.0.0.1:{cluster.port}; nothing to do")


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded PostGIS cluster."""
    settings = load_settings()
    if settings.database_url:
        click.echo("GIS311_DATABASE_URL is set: the embedded database is not in use.")
        return
    try:
        stopped = embedded_cluster(settings).stop()
    except EmbeddedError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("database stopped" if stopped else "database is not running; nothing to do")


@db.command("status")
def db_status() -> None:
    """Say whether the database runs (exit 0) or not (exit 3)."""
    import psycopg

    settings = load_settings()
    if settings.database_url:
        try:
            with psycopg.connect(libpq_url(settings.database_url), connect_timeout=5) as conn:
                row = conn.execute("SELECT current_setting('server_version')").fetchone()
        except psycopg.OperationalError as exc:
            click.echo(f"external database unreachable: {str(exc).strip()}")
            sys.exit(3)
        click.echo(f"external database reachable (PostgreSQL {row[0] if row else '?'})")
        return
    cluster = embedded_cluster(settings)
    state = cluster.state()
    if state.running:
        click.echo(f"running (pid {state.pid}) on 127.0.0.1:{cluster.port}, data in "
                   f"{cluster.data_dir}")
        return
    what = "stopped" if state.initialized else "not created yet (run `gis311 db start`)"
    click.echo(f"{what}; data folder {cluster.data_dir}")
    sys.exit(3)


@db.command("url")
def db_url() -> None:
    """Print the database URL (for psql, QGIS or GIS311_DATABASE_URL elsewhere)."""
    settings = load_settings()
    if settings.database_url:
        click.echo(settings.database_url)
        return
    click.echo(embedded_cluster(settings).tcp_url())


@db.command("psql", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def db_psql(args: tuple[str, ...]) -> None:
    """Open psql on the database; extra ARGS go to psql."""
    settings = load_settings()
    url = require_database(settings)
    try:
        argv = embedded_cluster(settings).psql_argv(list(args))
    except EmbeddedError as exc:
        raise click.ClickException(str(exc)) from None
    argv[1] = url
    os.execv(argv[0], argv)


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target migration.")
def db_upgrade(revision: str) -> None:
    """Apply the schema migrations (Alembic)."""
    import psycopg

    from gis311 import migrate

    settings = load_settings()
    url = require_database(settings)
    with psycopg.connect(url) as conn:
        before = migrate.current_revision(conn)
    migrate.upgrade(url, revision)
    with psycopg.connect(url) as conn:
        after = migrate.current_revision(conn)
    if before == after:
        click.echo(f"database schema is up to date (revision {after})")
    else:
        click.echo(f"database schema upgraded from {before or 'empty'} to {after}")
