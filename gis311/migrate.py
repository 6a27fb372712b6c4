"""Schema migrations (Alembic, scripts under ``gis311/migrations``)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import Connection, errors, sql

from gis311.db import sqlalchemy_url, with_dbname

VERSION_SCHEMA = "gis311"
VERSION_TABLE = "alembic_version"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Packages whose `sql/functions/*.sql` hold database functions, in dependency order. They are
# repeatable: every upgrade runs each file again (CREATE OR REPLACE), after the migrations, so
# the functions always match the code. A file that changes a function's signature drops the
# old one first.
FUNCTION_PACKAGES = ("boundaries", "registry")


def _config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration up to ``revision``, then (at head) the database functions."""
    command.upgrade(_config(url), revision)
    if revision == "head":
        apply_functions(url)


def function_files() -> list[tuple[str, str]]:
    """(name, SQL) of every repeatable function file, in the order they must run."""
    found = []
    for package in FUNCTION_PACKAGES:
        folder = files(package) / "sql" / "functions"
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".sql"):
                found.append((f"{package}/sql/functions/{entry.name}", entry.read_text()))
    return found


def apply_functions(url: str) -> None:
    """(Re)create the database functions in one transaction."""
    with psycopg.connect(url) as conn:
        for _name, text in function_files():
            conn.execute(text)


def head_revision() -> str:
    """The newest migration shipped with this version of the code."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision the database is at, or None before the first migration."""
    try:
        with conn.transaction():
            row = conn.execute(
                f'SELECT version_num FROM "{VERSION_SCHEMA}"."{VERSION_TABLE}"'
            ).fetchone()
    except errors.UndefinedTable:
        return None
    return row[0] if row else None


@contextmanager
def fresh_database(server_url: str, prefix: str, *, keep: bool = False) -> Iterator[str]:
    """A new database on ``server_url``'s server, migrated to head; dropped after the block
    unless ``keep``. Yields its URL. (Test runs and benchmarks each work in one of their own.)"""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_dbname(server_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        upgrade(url)
        yield url
    finally:
        if not keep:
            drop_database(server_url, name)


def drop_database(server_url: str, name: str, *, attempts: int = 30) -> None:
    """Drop database ``name``, ending its sessions.

    WITH (FORCE) cannot end an autovacuum worker for a role that is not a superuser: the drop
    then fails with "being accessed by other users" until the worker is done, so it retries.
    """
    for attempt in range(attempts):
        try:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))
            return
        except errors.ObjectInUse:
            if attempt == attempts - 1:
                raise
            time.sleep(1.0)
