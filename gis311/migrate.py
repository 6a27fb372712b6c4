"""Schema migrations (Alembic, scripts under ``gis311/migrations``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import Connection, errors

from gis311.db import sqlalchemy_url

VERSION_SCHEMA = "gis311"
VERSION_TABLE = "alembic_version"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` on the database at ``url``."""
    command.upgrade(_config(url), revision)


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
