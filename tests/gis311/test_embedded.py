"""``gis311 db start|stop|status|url|psql|upgrade`` on a cluster of its own (temporary home)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gis311 import embedded
from gis311.embedded import EmbeddedCluster, EmbeddedError
from tests.conftest import free_port, no_database


class Cli:
    """Runs ``python -m gis311`` with its own GIS311_HOME and port."""

    def __init__(self, home: Path, port: int) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GIS311_")}
        self.env.update(GIS311_HOME=str(home), GIS311_DB_PORT=str(port))

    def __call__(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gis311", *args],
            capture_output=True, text=True, env={**self.env, **(env or {})}, timeout=120,
            stdin=subprocess.DEVNULL,
        )


@pytest.fixture(scope="module")
def home(request: pytest.FixtureRequest) -> Iterator[Path]:
    if embedded.find_bindir() is None:
        no_database(request.config, "PostgreSQL binaries missing")
    # Under /tmp and world-traversable: as root, the server runs as `postgres` and must reach it.
    folder = Path(tempfile.mkdtemp(prefix="gis311-embedded-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    EmbeddedCluster(folder, 1).stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def cli(home: Path) -> Cli:
    return Cli(home, free_port())


def test_status_before_start_says_not_created(cli: Cli) -> None:
    out = cli("db", "status")
    assert out.returncode == 3
    assert "not created yet" in out.stdout


def test_start_is_idempotent_and_stop_too(cli: Cli, home: Path) -> None:
    first = cli("db", "start")
    assert first.returncode == 0, first.stderr
    assert "database started" in first.stdout
    again = cli("db", "start")
    assert again.returncode == 0
    assert "already running" in again.stdout

    status = cli("db", "status")
    assert status.returncode == 0
    assert "running (pid" in status.stdout

    url = cli("db", "url").stdout.strip()
    assert url.startswith("postgresql://gis311:")
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT postgis_lib_version(), current_setting('data_checksums'), "
            "current_setting('fsync'), current_setting('full_page_writes'), "
            "current_setting('synchronous_commit'), current_setting('listen_addresses')"
        ).fetchone()
    assert row is not None
    assert row[0].startswith("3.")
    assert row[1:] == ("on", "on", "on", "on", "127.0.0.1")
    assert (home / "run").is_dir()
    assert any(p.name.startswith(".s.PGSQL.") for p in (home / "run").iterdir())

    upgraded = cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded from empty to" in upgraded.stdout
    assert "up to date" in cli("db", "upgrade").stdout

    psql = cli("db", "psql", "-tAc", "SELECT count(*) FROM gis311.alembic_version")
    assert psql.returncode == 0, psql.stderr
    assert psql.stdout.strip() == "1"

    stopped = cli("db", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "database stopped" in stopped.stdout
    again_stopped = cli("db", "stop")
    assert again_stopped.returncode == 0
    assert "not running; nothing to do" in again_stopped.stdout
    assert cli("db", "status").returncode == 3


def test_upgrade_on_a_stopped_cluster_is_one_clear_line(cli: Cli) -> None:
    out = cli("db", "upgrade")
    assert out.returncode != 0
    assert out.stderr.strip().splitlines() == [
        "Error: the embedded database is not running; start it with `gis311 db start`"
    ]


def test_external_url_means_nothing_to_start(cli: Cli) -> None:
    out = cli("db", "start", env={"GIS311_DATABASE_URL": "postgresql://u@db.example/x"})
    assert out.returncode == 0
    assert "GIS311_DATABASE_URL is set" in out.stdout
    url = cli("db", "url", env={"GIS311_DATABASE_URL": "postgresql://u@db.example/x"})
    assert url.stdout.strip() == "postgresql://u@db.example/x"


def test_missing_binaries_tell_the_user_to_bootstrap(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(embedded, "find_bindir", lambda: None)
    with pytest.raises(EmbeddedError, match="run `make bootstrap`"):
        EmbeddedCluster(tmp_path, 5999).start()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_as_root_a_home_postgres_cannot_enter_gets_a_server_folder_it_can(
    request: pytest.FixtureRequest,
) -> None:
    if embedded.find_bindir() is None:
        no_database(request.config, "PostgreSQL binaries missing")
    private = Path(tempfile.mkdtemp(prefix="gis311-private-", dir="/tmp"))  # mode 0700
    cluster = EmbeddedCluster(private / "checkout" / ".gis311", free_port())
    try:
        assert cluster.server_root.is_relative_to(embedded.FALLBACK_ROOT)
        assert cluster.start()
        with psycopg.connect(cluster.socket_url()) as conn:
            assert conn.execute("SELECT postgis_lib_version()").fetchone() is not None
        assert cluster.password_file.parent == cluster.home  # the secret stays with the user
    finally:
        cluster.stop()
        shutil.rmtree(cluster.server_root, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)
