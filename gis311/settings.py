"""Service settings, read from the environment (prefix ``GIS311_``).

Every field here must appear in the README's settings table; ``tests/gis311/test_settings.py``
fails otherwise. Nothing in this module runs at import time: the app factory and the CLI build a
``Settings`` when they need one.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All settings of the service; each field is one ``GIS311_<NAME>`` variable."""

    model_config = SettingsConfigDict(env_prefix="GIS311_", extra="ignore")

    home: Path = Field(
        default=Path(".gis311"),
        description="Folder of the embedded PostGIS cluster (data, socket, log, password).",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "PostgreSQL/PostGIS URL of an external database; when set, the embedded cluster "
            "is not used."
        ),
    )
    db_port: int = Field(
        default=54311, ge=1, le=65535, description="TCP port of the embedded cluster."
    )
    db_pool_min_size: int = Field(
        default=2, ge=0, description="Connections each server process keeps open."
    )
    db_pool_max_size: int = Field(
        default=16, ge=1, description="Most connections each server process opens."
    )
    host: str = Field(default="127.0.0.1", description="Address `gis311 serve` binds to.")
    port: int = Field(default=8311, ge=1, le=65535, description="Port `gis311 serve` binds to.")
    workers: int = Field(default=1, ge=1, description="Uvicorn worker processes of `serve`.")
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=0,
        description="Largest request body accepted; larger bodies get 413.",
    )
    test_database_url: str | None = Field(
        default=None,
        description=(
            "Tests only: a PostGIS server on which the test run creates (and drops) its own "
            "database, instead of the embedded cluster."
        ),
    )

    @property
    def home_path(self) -> Path:
        """The embedded cluster's folder as an absolute path."""
        return self.home.expanduser().resolve()
