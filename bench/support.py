"""What the benchmarks share: a database of their own, servers as subprocesses, wrk runs."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

from gis311 import migrate
from gis311.db import database_url, embedded_cluster
from gis311.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


def server_url() -> str:
    """The PostGIS server to benchmark on: GIS311_DATABASE_URL's, or the embedded cluster's
    (started if needed), over TCP: every contender then talks to PostgreSQL the same way."""
    settings = Settings()
    if settings.database_url:
        return database_url(settings)
    cluster = embedded_cluster(settings)
    cluster.start()
    return cluster.tcp_url()


def via_socket(url: str) -> str:
    """The same database through the embedded cluster's Unix socket, when that is the server,
    in a form libpq, asyncpg and pydantic all read (the socket folder, percent-encoded, as the
    host); otherwise ``url`` unchanged. Loopback TCP costs a trip through the kernel's network
    stack per message."""
    settings = Settings()
    if settings.database_url:
        return url
    cluster = embedded_cluster(settings)
    name = urlsplit(url).path.lstrip("/")
    return f"postgresql://gis311@{quote(str(cluster.socket_dir), safe='')}:{cluster.port}/{name}"


def bench_database(prefix: str, *, keep: bool = False) -> contextlib.AbstractContextManager[str]:
    """A fresh, migrated database for one benchmark run; dropped afterwards unless ``keep``."""
    return migrate.fresh_database(server_url(), prefix, keep=keep)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(argv: Sequence[str], env: dict[str, str], health_path: str) -> Iterator[str]:
    """Run a server command until the block ends; yields its base URL once it answers."""
    port = free_port()
    full_env = {**os.environ, **env}
    argv = [a.replace("{port}", str(port)) for a in argv]
    base = f"http://127.0.0.1:{port}"
    with tempfile.NamedTemporaryFile(prefix="bench-server-", suffix=".log") as log:
        proc = subprocess.Popen(argv, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 90
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{argv[0]} exited: {Path(log.name).read_text()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(base + health_path, timeout=5).status_code < 500:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{argv} did not come up: {Path(log.name).read_text()[-3000:]}")
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def gis311_server(
    url: str, workers: int, **settings: str
) -> contextlib.AbstractContextManager[str]:
    """``gis311 serve`` against database ``url`` with extra GIS311_ settings."""
    env = {"GIS311_DATABASE_URL": url, **{f"GIS311_{k.upper()}": v for k, v in settings.items()}}
    argv = [sys.executable, "-m", "gis311", "serve", "--port", "{port}", "--workers",
            str(workers)]
    return server(argv, env, "/healthz")


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int = 0


WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local counter = 0
function setup(thread)
  thread:set("offset", counter * math.floor(#paths / 2))
  counter = counter + 1
end
local i = 0
function init(args)
  i = offset or 0
end
function request()
  i = i + 1
  if i > #paths then i = 1 end
  return wrk.format("GET", paths[i])
end
"""


def wrk(
    base: str, lines: Sequence[str], *, seconds: int, connections: int,
    script: str = WRK_SCRIPT, env: dict[str, str] | None = None,
) -> LoadResult:
    """Run wrk (2 threads) for ``seconds`` with a Lua ``script`` that reads ``lines`` (by
    default: paths to GET round-robin) from the file named by $BENCH_PATHS."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run `make bench` (it installs Debian's wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        list_file = Path(tmp) / "lines.txt"
        list_file.write_text("\n".join(lines) + "\n")
        script_file = Path(tmp) / "load.lua"
        script_file.write_text(script)
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
             str(script_file), base],
            capture_output=True, text=True, check=True,
            env={**os.environ, **(env or {}), "BENCH_PATHS": str(list_file)},
        ).stdout
    return parse_wrk(out)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> LoadResult:
    """Requests/s, p50, p99 and non-2xx/3xx count from wrk's --latency report."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s|m)\b", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    socket_errors = re.search(r"Socket errors: .*", out)
    if socket_errors:
        print("   wrk:", socket_errors.group(0))
    return LoadResult(
        requests_per_s=rps,
        p50_ms=_ms(*p50.groups()) if p50 else float("nan"),
        p99_ms=_ms(*p99.groups()) if p99 else float("nan"),
        errors=int(errors.group(1)) if errors else 0,
        requests=int(total.group(1)) if total else 0,
    )
