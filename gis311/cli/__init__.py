"""The ``gis311`` command line: one module per command group."""

from __future__ import annotations

import click

from gis311.cli.db import db
from gis311.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gis311")
def main() -> None:
    """gis311: asset-registry GIS service for city 311 systems."""


main.add_command(db)
main.add_command(serve)
