"""Service settings, read from the environment (prefix ``GIS311_``).

Every field here must appear in the README's settings table; ``tests/gis311/test_settings.py``
fails otherwise. Nothing in this module runs at import time: the app factory and the CLI build a
``Settings`` when they need one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    # Few on purpose: transactions beyond the database's cores only contend for them (measured
    # on 2 cores: 4 per process filed a third more cases per second than 16, at half the p99);
    # a request waits for a free connection instead. Raise it with the database's cores.
    db_pool_max_size: int = Field(
        default=4, ge=1,
        description="Most connections each server process opens (about 2 per database core).",
    )
    host: str = Field(default="127.0.0.1", description="Address `gis311 serve` binds to.")
    port: int = Field(default=8311, ge=1, le=65535, description="Port `gis311 serve` binds to.")
    workers: int = Field(default=1, ge=1, description="Uvicorn worker processes of `serve`.")
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=0,
        description="Largest request body accepted; larger bodies get 413.",
    )
    tile_cache_mb: int = Field(
        default=256, ge=0,
        description="Memory for the in-process tile cache of each server process; 0 turns it off.",
    )
    tile_cache_max_stale: float = Field(
        default=2.0, gt=0,
        description=(
            "Longest time, in seconds, a cached tile may be served after the data under it "
            "changed (the cache stops serving when it cannot confirm its change feed)."
        ),
    )
    tile_pool_max_size: int = Field(
        default=8, ge=1, description="Most database connections the tile routes use per process."
    )
    basemap_style_url: str | None = Field(
        default=None,
        description="A MapLibre style URL drawn under the districts on the map page; unset: none.",
    )
    jurisdiction_layer: str | None = Field(
        default=None,
        description=(
            "Boundary layer code whose features make up the city; a case located outside all "
            "of them is refused. Unset: no such check."
        ),
    )
    open311_jurisdiction_id: str = Field(
        default="gis311", min_length=1,
        description=(
            "The Open311 `jurisdiction_id` this service answers to; requests naming another "
            "get 404 (an absent or empty one is accepted)."
        ),
    )
    open311_contact: str = Field(
        default="",
        description="Who to contact about the Open311 endpoint, shown in its discovery document.",
    )
    media_dir: Path | None = Field(
        default=None,
        description="Folder of photos sent with reports, served at /media; unset: HOME/media.",
    )
    media_max_bytes: int = Field(
        default=8 * 1024 * 1024, ge=0,
        description="Largest photo accepted with an Open311 report; 0 refuses uploads.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8311",
        description="Base URL the service is reached at; notifications link to cases under it.",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server that sends notification email; unset: no email."
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none",
        description="`starttls` upgrades a plain connection, `tls` connects with TLS (port 465).",
    )
    smtp_username: str | None = Field(default=None, description="SMTP login; unset: none.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_from: str = Field(
        default="gis311@localhost", description="Sender address of notification email."
    )
    notify_timeout: float = Field(
        default=10.0, gt=0,
        description="Seconds one webhook request or SMTP conversation may take before it counts "
        "as failed.",
    )
    notify_concurrency: int = Field(
        default=16, ge=1, le=256, description="Deliveries `gis311 worker` sends at once."
    )
    notify_max_attempts: int = Field(
        default=10, ge=1, description="Attempts before a delivery is marked failed."
    )
    notify_backoff_base: float = Field(
        default=30.0, gt=0,
        description="Seconds before the first retry; each further retry waits twice as long.",
    )
    notify_backoff_max: float = Field(
        default=3600.0, gt=0, description="Longest wait in seconds between two attempts."
    )
    notify_poll_interval: float = Field(
        default=1.0, gt=0, description="Seconds `gis311 worker` waits when it has nothing to do."
    )
    notify_timezone: str = Field(
        default="UTC",
        description="Time zone (IANA name) in which hourly and daily email digests close.",
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

    @property
    def media_path(self) -> Path:
        """The folder of uploaded media as an absolute path."""
        if self.media_dir is not None:
            return self.media_dir.expanduser().resolve()
        return self.home_path / "media"
