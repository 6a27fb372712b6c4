"""Which database the service talks to, and the connection pool it uses."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from psycopg import Connection
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

from gis311.embedded import EmbeddedCluster
from gis311.settings import Settings


def embedded_cluster(settings: Settings) -> EmbeddedCluster:
    """The embedded cluster the settings describe (whether or not it is in use)."""
    return EmbeddedCluster(settings.home_path, settings.db_port)


def database_url(settings: Settings) -> str:
    """libpq URL of the service's database: ``GIS311_DATABASE_URL`` or the embedded cluster."""
    if settings.database_url:
        return libpq_url(settings.database_url)
    return embedded_cluster(settings).socket_url()


def libpq_url(url: str) -> str:
    """Strip a SQLAlchemy driver suffix (``postgresql+psycopg://``) so libpq accepts the URL."""
    scheme, sep, rest = url.partition("://")
    if sep and "+" in scheme:
        scheme = scheme.split("+", 1)[0]
    if scheme == "postgis":
        scheme = "postgresql"
    return f"{scheme}{sep}{rest}"


def with_dbname(url: str, dbname: str) -> str:
    """The same server URL naming another database."""
    parts = urlsplit(libpq_url(url))
    return urlunsplit(parts._replace(path="/" + quote(dbname)))


def sqlalchemy_url(url: str) -> str:
    """The same URL in the form SQLAlchemy wants for psycopg 3."""
    _, sep, rest = libpq_url(url).partition("://")
    return f"postgresql+psycopg{sep}{rest}"


def _configure(conn: Connection[TupleRow]) -> None:
    # Parallel plans pay off for big scans, never for the short indexed lookups the API runs;
    # with two cores they steal the CPU a second request needs.
    conn.execute("SET max_parallel_workers_per_gather = 0")
    conn.execute("SET jit = off")
    conn.commit()


def open_pool(url: str, *, min_size: int, max_size: int, name: str = "gis311") -> ConnectionPool:
    """Open a connection pool and wait until its first connections work."""
    pool: ConnectionPool = ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        name=name,
        configure=_configure,
        open=False,
    )
    pool.open(wait=min_size > 0, timeout=30)
    return pool
