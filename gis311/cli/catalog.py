"""``gis311 catalog``: load asset types and services from a YAML file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from gis311.cli.common import connect, load_settings, one_line_errors
from registry import catalog, catalog_file
from registry.errors import RegistryError


@click.group("catalog")
def catalog_group() -> None:
    """The catalog: asset types and 311 services (see catalog.example.yaml)."""


@catalog_group.command("load")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def catalog_load(path: Path) -> None:
    """Create or update the asset types and services defined in PATH (idempotent).

    Prints each entry created or updated (with the fields that changed) and a count of those
    left unchanged. Entries absent from the file are left as they are.
    """
    settings = load_settings()
    with one_line_errors(RegistryError):
        parsed = catalog_file.read(path)
        with connect(settings) as conn:
            changes = catalog.load(conn, parsed)
    for change in changes:
        if change.action != "unchanged":
            click.echo(str(change))
    counts = Counter((c.kind, c.action) for c in changes)
    for kind, label in (("asset_type", "asset types"), ("service", "services")):
        click.echo(
            f"{label}: {counts[kind, 'created']} created, {counts[kind, 'updated']} updated, "
            f"{counts[kind, 'unchanged']} unchanged"
        )
