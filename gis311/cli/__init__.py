"""The ``gis311`` command line: one module per command group."""

from __future__ import annotations

import click

from gis311.cli.assets import assets
from gis311.cli.boundaries import boundaries
from gis311.cli.catalog import catalog_group
from gis311.cli.db import db
from gis311.cli.demo import demo
from gis311.cli.keys import keys
from gis311.cli.serve import serve
from gis311.cli.worker import worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gis311")
def main() -> None:
    """gis311: asset-registry GIS service for city 311 systems."""


main.add_command(assets)
main.add_command(boundaries)
main.add_command(catalog_group)
main.add_command(db)
main.add_command(demo)
main.add_command(keys)
main.add_command(serve)
main.add_command(worker)
