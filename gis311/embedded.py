"""The embedded PostGIS cluster: a project-local PostgreSQL 15 data folder under ``GIS311_HOME``.

The cluster listens on 127.0.0.1 (password auth) and on a Unix socket in its own folder (trust,
but the folder and socket are only reachable by the cluster's owner). PostgreSQL refuses to run as
root, so as root every server binary runs through ``runuser -u postgres --`` and the data folder
belongs to ``postgres``; when ``postgres`` may not enter ``GIS311_HOME`` (a checkout in a private
folder), the server's folders go under ``/var/lib/gis311/clusters/`` instead.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

PG_MAJOR = "15"
SERVER_USER = "postgres"
APP_ROLE = "gis311"
APP_DATABASE = "gis311"

# Durability settings stay at their safe defaults on purpose (fsync, full_page_writes,
# synchronous_commit): a case a client was told is filed must survive a crash. The rest sizes the
# server for a 2-core, many-GiB machine and turns off JIT, which costs more than it saves on short
# spatial queries such as tile and intake lookups.
SERVER_CONF = """\
# Written by gis311; edit freely, `gis311 db start` keeps your changes.
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 512MB
effective_cache_size = 4GB
work_mem = 16MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
checkpoint_timeout = 15min
wal_compression = on
random_page_cost = 1.1
jit = off
fsync = on
full_page_writes = on
synchronous_commit = on
log_min_duration_statement = 2000
log_line_prefix = '%m [%p] %q%u@%d '
"""

HBA_CONF = """\
# Written by gis311. The socket folder is private to the cluster's owner, so the socket trusts;
# TCP on loopback asks for the password kept in GIS311_HOME/db-password.
local   all   all                     trust
host    all   all   127.0.0.1/32      scram-sha-256
host    all   all   ::1/128           scram-sha-256
"""


# As root, clusters whose GIS311_HOME the postgres user cannot enter live here instead.
FALLBACK_ROOT = Path("/var/lib/gis311/clusters")


def _enterable_by_server(path: Path) -> bool:
    """Whether the server user may walk down to ``path`` (execute permission on every folder
    from the root; folders still to be made will be made enterable)."""
    entry = pwd.getpwnam(SERVER_USER)
    groups = set(os.getgrouplist(SERVER_USER, entry.pw_gid))
    for folder in (*reversed(path.parents), path):
        try:
            st = folder.stat()
        except FileNotFoundError:
            return True
        if st.st_uid == entry.pw_uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


class EmbeddedError(Exception):
    """The embedded cluster could not be created, started or stopped."""


@dataclass(frozen=True)
class ClusterState:
    """What ``status`` reports."""

    running: bool
    pid: int | None
    initialized: bool


def find_bindir() -> Path | None:
    """Folder holding ``initdb``/``pg_ctl``/``postgres`` of PostgreSQL 15 with PostGIS, or None."""
    candidates = [Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    for bindir in candidates:
        if all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def postgis_available(bindir: Path) -> bool:
    """True when the PostGIS extension is installed for the server in ``bindir``."""
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=False
    )
    version = out.stdout.split()[-1] if out.returncode == 0 else PG_MAJOR
    major = version.split(".")[0]
    return Path(f"/usr/share/postgresql/{major}/extension/postgis.control").is_file()


class EmbeddedCluster:
    """Create, start, stop and describe the cluster living under ``home``."""

    def __init__(self, home: Path, port: int) -> None:
        self.home = home.resolve()
        self.port = port
        self._as_root = os.geteuid() == 0
        self.server_root = self._server_root()
        self.data_dir = self.server_root / "pgdata"
        self.socket_dir = self.server_root / "run"
        self.log_file = self.server_root / "log" / "postgres.log"
        self.password_file = self.home / "db-password"

    def _server_root(self) -> Path:
        """Where the server's own folders go: ``home``, unless (as root) the ``postgres`` user
        cannot walk down to it (a clone in a private folder such as mktemp's); then a folder
        of its own under FALLBACK_ROOT, named after ``home``."""
        if not self._as_root or _enterable_by_server(self.home):
            return self.home
        digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
        return FALLBACK_ROOT / digest

    # -- paths and urls -------------------------------------------------------------------------

    def password(self) -> str:
        """The application role's password (created on first use)."""
        if not self.password_file.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            self.password_file.write_text(secrets.token_urlsafe(24) + "\n")
            self.password_file.chmod(0o600)
        return self.password_file.read_text().strip()

    def tcp_url(self, database: str = APP_DATABASE) -> str:
        """URL for people and tools (psql, QGIS): TCP on loopback with the password."""
        return (
            f"postgresql://{APP_ROLE}:{quote(self.password(), safe='')}"
            f"@127.0.0.1:{self.port}/{database}"
        )

    def socket_url(self, database: str = APP_DATABASE, user: str = APP_ROLE) -> str:
        """URL the service itself uses: the Unix socket, cheaper per query than TCP."""
        return f"postgresql://{user}@/{database}?host={quote(str(self.socket_dir))}&port={self.port}"

    # -- running binaries ------------------------------------------------------------------------

    def _bindir(self) -> Path:
        bindir = find_bindir()
        if bindir is None or not postgis_available(bindir):
            raise EmbeddedError(
                "PostgreSQL 15 with PostGIS is not installed; run `make bootstrap`."
            )
        return bindir

    def _server_cmd(self, argv: list[str]) -> list[str]:
        if self._as_root:
            return ["runuser", "-u", SERVER_USER, "--", *argv]
        return argv

    def _run(self, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self._server_cmd(argv), capture_output=True, text=True, check=False,
            stdin=subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise EmbeddedError(
                f"{Path(argv[0]).name} failed: {(proc.stderr or proc.stdout).strip()}"
            )
        return proc

    def _own(self, *paths: Path) -> None:
        if not self._as_root:
            return
        entry = pwd.getpwnam(SERVER_USER)
        for path in paths:
            os.chown(path, entry.pw_uid, entry.pw_gid)

    # -- lifecycle -------------------------------------------------------------------------------

    def state(self) -> ClusterState:
        """Whether the cluster exists and runs (reads ``postmaster.pid``, probes the process)."""
        initialized = (self.data_dir / "PG_VERSION").exists()
        pid_file = self.data_dir / "postmaster.pid"
        pid: int | None = None
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError, PermissionError):
            pid = None
        if pid is not None:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                pid = None
            except PermissionError:
                pass
        return ClusterState(running=pid is not None, pid=pid, initialized=initialized)

    def init(self) -> bool:
        """Create the data folder (with checksums) if missing; True when it was created."""
        if (self.data_dir / "PG_VERSION").exists():
            return False
        bindir = self._bindir()
        self.home.mkdir(parents=True, exist_ok=True)
        if self.server_root != self.home:
            for folder in reversed((self.server_root, *self.server_root.parents)):
                if not folder.exists():
                    folder.mkdir(mode=0o755)
                    folder.chmod(0o755)  # whatever the umask: postgres must enter it
        for folder in (self.socket_dir, self.log_file.parent):
            folder.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir.chmod(0o700)
        self._own(self.data_dir, self.socket_dir, self.log_file.parent)
        self._run([
            str(bindir / "initdb"), "-D", str(self.data_dir), "--username", SERVER_USER,
            "--data-checksums", "--encoding", "UTF8", "--locale", "C.UTF-8",
            "--auth-local", "trust", "--auth-host", "scram-sha-256",
        ])
        conf = SERVER_CONF.format(port=self.port, socket_dir=self.socket_dir)
        self._write_owned(self.data_dir / "gis311.conf", conf)
        self._write_owned(self.data_dir / "pg_hba.conf", HBA_CONF)
        main_conf = self.data_dir / "postgresql.conf"
        with main_conf.open("a") as fh:
            fh.write("\ninclude_if_exists = 'gis311.conf'\n")
        return True

    def _write_owned(self, path: Path, text: str) -> None:
        path.write_text(text)
        path.chmod(0o600)
        self._own(path)

    def start(self, timeout: float = 60.0) -> bool:
        """Start the cluster (creating it first); False when it was already running."""
        if self.state().running:
            return False
        bindir = self._bindir()
        created = self.init()
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._own(self.log_file.parent)
        log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        proc = self._run(
            [
                str(bindir / "pg_ctl"), "start", "-D", str(self.data_dir), "-l",
                str(self.log_file), "-w", "-t", str(int(timeout)),
                "-o", f"-p {self.port} -k {self.socket_dir}",
            ],
            check=False,
        )
        if proc.returncode != 0:
            tail = self._log_tail(since=log_offset)
            if "Address already in use" in tail:
                raise EmbeddedError(
                    f"the database did not start: port {self.port} on 127.0.0.1 is taken "
                    "(another cluster?); stop it or set GIS311_DB_PORT"
                )
            raise EmbeddedError(f"the database did not start (see {self.log_file}): {tail}")
        self._wait_ready(timeout)
        self._provision(created)
        return True

    def _log_tail(self, lines: int = 5, since: int = 0) -> str:
        """The server log's last errors written after byte ``since``, on one line."""
        try:
            with self.log_file.open("rb") as fh:
                fh.seek(since)
                tail = fh.read().decode(errors="replace").strip().splitlines()[-20:]
        except OSError:
            return "no log"
        if any("Address already in use" in line for line in tail):
            return "Address already in use"
        worst = [line for line in tail if "FATAL" in line or "ERROR" in line]
        return " | ".join((worst or tail)[-lines:])

    def _wait_ready(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.socket_url("postgres", SERVER_USER), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise EmbeddedError(
                        f"the database did not accept connections: {self._log_tail()}"
                    ) from None
                time.sleep(0.2)

    def _provision(self, created: bool) -> None:
        """Application role, database and PostGIS; runs on every start, each step idempotent."""
        import psycopg
        from psycopg import sql

        password = self.password()
        with psycopg.connect(self.socket_url("postgres", SERVER_USER), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)
            ).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(
                sql.SQL("{} ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                    sql.SQL(verb), sql.Identifier(APP_ROLE), sql.Literal(password)
                )
            )
            # PostGIS in template1 means every database created later (the test databases among
            # them) has it without needing a superuser.
            with psycopg.connect(
                self.socket_url("template1", SERVER_USER), autocommit=True
            ) as tpl:
                tpl.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            has_db = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (APP_DATABASE,)
            ).fetchone()
            if not has_db:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(APP_DATABASE), sql.Identifier(APP_ROLE)
                    )
                )
        with psycopg.connect(
            self.socket_url(APP_DATABASE, SERVER_USER), autocommit=True
        ) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the cluster (fast shutdown: open transactions roll back); False when stopped."""
        if not self.state().running:
            return False
        bindir = self._bindir()
        self._run([
            str(bindir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w",
            "-t", str(int(timeout)),
        ])
        return True

    def psql_argv(self, extra: list[str]) -> list[str]:
        """Command line that opens psql on the application database."""
        psql = shutil.which("psql")
        bindir = find_bindir()
        if bindir is not None and (bindir / "psql").is_file():
            psql = str(bindir / "psql")
        if psql is None:
            raise EmbeddedError("psql is not installed; run `make bootstrap`.")
        return [psql, self.socket_url(), *extra]
