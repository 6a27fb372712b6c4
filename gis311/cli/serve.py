"""``gis311 serve``: the HTTP API under uvicorn."""

from __future__ import annotations

import click

from gis311.cli.common import load_settings, require_database


@click.command("serve")
@click.option("--host", default=None, help="Address to bind [default: GIS311_HOST, 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [default: GIS311_PORT, 8311].")
@click.option("--workers", default=None, type=int, help="Worker processes [default: 1].")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the HTTP API."""
    import uvicorn

    settings = load_settings()
    require_database(settings)
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    click.echo(f"serving on http://{host}:{port}  (map: http://{host}:{port}/map, API docs: "
               f"http://{host}:{port}/docs, health: http://{host}:{port}/healthz)")
    uvicorn.run(
        "gis311.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )
