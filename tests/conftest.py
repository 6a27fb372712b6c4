"""Test database: one fresh database per run, one rolled-back transaction per test.

The database server is, in order: ``--db-url``, ``GIS311_TEST_DATABASE_URL``, or the embedded
cluster under ``GIS311_HOME`` (started for the run and stopped after it when it was not already
running). Without a server the database tests skip, unless ``CI`` is set or ``--require-db`` is
given: then the run fails, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gis311 import migrate
from gis311.app import create_app
from gis311.db import embedded_cluster, libpq_url
from gis311.deps import BoundDatabase, get_conn, get_database
from gis311.embedded import EmbeddedError
from gis311.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-db",
        action="store_true",
        default=False,
        help="Fail (instead of skip) when no test database can be had.",
    )
    parser.addoption("--db-url", default=None, help="PostGIS server URL for the test database.")


def require_db(config: pytest.Config) -> bool:
    """Whether a missing database must fail the run."""
    return bool(config.getoption("--require-db") or os.environ.get("CI"))


def no_database(config: pytest.Config, reason: str) -> None:
    """Skip for lack of a database, or fail where that is not allowed."""
    if require_db(config):
        pytest.fail(f"no test database: {reason}", pytrace=False)
    pytest.skip(f"no test database: {reason}")


def shared_data(config: pytest.Config, relative: str) -> Path:
    """A file of ``../shared/data``; skips without it, fails without it when CI is set."""
    path = SHARED_DATA / relative
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared data file missing in CI: {path}", pytrace=False)
        pytest.skip(f"shared data not present: {path}")
    return path


@pytest.fixture(scope="session")
def server_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a database on the test server from which test databases can be created."""
    explicit = request.config.getoption("--db-url") or os.environ.get("GIS311_TEST_DATABASE_URL")
    if explicit:
        yield libpq_url(explicit)
        return
    settings = Settings(database_url=None)
    cluster = embedded_cluster(settings)
    started = False
    try:
        started = cluster.start()
    except EmbeddedError as exc:
        no_database(request.config, str(exc))
    try:
        yield cluster.socket_url()
    finally:
        if started:
            cluster.stop()


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh database for this run, migrated to head, dropped afterwards."""
    with migrate.fresh_database(server_url, f"gis311_test_{os.getpid()}") as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """Settings pointing the app at the test database."""
    return Settings(database_url=database_url, db_pool_min_size=1, db_pool_max_size=4)


@pytest.fixture(scope="session")
def _session_conn(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url) as conn:
        yield conn


@pytest.fixture
def db(_session_conn: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """A connection inside a transaction that is rolled back after the test.

    Code under test that opens ``conn.transaction()`` gets a savepoint inside it, so its own
    commit/rollback logic still runs.
    """
    conn = _session_conn
    conn.rollback()
    conn.execute("SELECT 1")  # opens the outer transaction
    try:
        yield conn
    finally:
        conn.rollback()


def bind(application: FastAPI, db: psycopg.Connection) -> FastAPI:
    """Make ``application``'s routes use the test's rolled-back connection."""
    application.dependency_overrides[get_conn] = lambda: db
    application.dependency_overrides[get_database] = lambda: BoundDatabase(db)
    return application


@pytest.fixture
def app(settings: Settings, db: psycopg.Connection) -> FastAPI:
    """The app, its routes using the test's rolled-back connection."""
    return bind(create_app(settings), db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for ``app`` (lifespan run, server errors answered, not raised)."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(database_url: str) -> Iterator[str]:
    """``gis311 serve --workers 2`` on a free port against the run's database; its base URL.

    It sees only committed data: tests using it commit what they need and clean up after.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIS311_")}
    env.update(GIS311_DATABASE_URL=database_url, GIS311_DB_POOL_MIN_SIZE="1")
    base = f"http://127.0.0.1:{port}"
    with tempfile.NamedTemporaryFile(prefix="gis311-serve-", suffix=".log") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gis311", "serve", "--port", str(port), "--workers", "2"],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"server exited: {Path(log.name).read_text()[-2000:]}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"server did not come up: {Path(log.name).read_text()[-2000:]}")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def api_key(conn: psycopg.Connection, role: str, **scope: Any) -> str:
    """A new API key of ``role`` (``departments=``, ``districts=``, ``name=``), in ``conn``'s
    transaction; the Authorization header value is ``Bearer <key>``."""
    from gis311 import keys

    return keys.create(conn, role=role, **scope).key


def bearer(key: str) -> dict[str, str]:
    """Request headers sending ``key``."""
    return {"Authorization": f"Bearer {key}"}


def forget_keys(conn: psycopg.Connection, *created: str) -> None:
    """Delete keys a committed fixture made (other fixtures' keys stay)."""
    from gis311.keys import PREFIX_LENGTH

    conn.execute(
        "DELETE FROM gis311.api_key WHERE key_prefix = ANY(%s)",
        ([k[:PREFIX_LENGTH] for k in created],),
    )


@pytest.fixture
def committed_city(database_url: str) -> Iterator[str]:
    """tests/registry/city.py's small city, committed for the test, cleared after it."""
    from tests.registry import city

    with city.committed(database_url) as url:
        yield url
