"""``gis311 assets``: import asset inventories."""

from __future__ import annotations

from pathlib import Path

import click

from gis311.cli.common import connect, load_settings, one_line_errors, progress_bar
from importers import csv_
from importers.asset_file import ImportResult, import_assets
from importers.errors import ImportFileError, ImportRejected
from registry.bulk_apply import Reject
from registry.errors import RegistryError


@click.group()
def assets() -> None:
    """Assets: streetlights, hydrants, road segments... (types come from the catalog)."""


@assets.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--type", "type_code", required=True, metavar="CODE",
              help="Asset type code from the catalog, e.g. streetlight.")
@click.option("--id-field", metavar="F",
              help="Field holding the department's asset id (default: the type's id_field; "
                   "without one, ids are made from the location).")
@click.option("--lat-field", metavar="F", help="CSV: latitude field (default: lat/latitude/y).")
@click.option("--lon-field", metavar="F",
              help="CSV: longitude field (default: lon/lng/longitude/x).")
@click.option("--crs", metavar="EPSG:NNNN",
              help="CRS of the coordinates when the file does not declare it (CSV: of the "
                   "lat/lon fields; default EPSG:4326).")
@click.option("--retire-missing", is_flag=True,
              help="Retire assets of this type that the file no longer lists.")
@click.option("--skip-invalid", is_flag=True,
              help="Import the valid rows and write the rejected ones to the reject report.")
@click.option("--reject-report", type=click.Path(path_type=Path, dir_okay=False),
              help="CSV file listing rejected rows (row, field, reason, asset_id); default with "
                   "--skip-invalid: ./<file>.rejects.csv.")
def assets_import(
    path: Path,
    type_code: str,
    id_field: str | None,
    lat_field: str | None,
    lon_field: str | None,
    crs: str | None,
    retire_missing: bool,
    skip_invalid: bool,
    reject_report: Path | None,
) -> None:
    """Import PATH (GeoJSON, Shapefile .shp/.zip, GeoPackage or CSV) as assets of a type.

    One transaction: new assets are created, changed ones updated (with history), unchanged
    ones untouched. Any invalid row aborts the import with nothing written, unless
    --skip-invalid is given.
    """
    settings = load_settings()
    label = "row" if csv_.is_csv(path) else "feature"
    with one_line_errors(ImportFileError, RegistryError):
        try:
            with progress_bar(path, in_bytes=csv_.is_csv(path)) as progress, \
                    connect(settings) as conn:
                result = import_assets(
                    conn,
                    path,
                    type_code=type_code,
                    id_field=id_field,
                    lat_field=lat_field,
                    lon_field=lon_field,
                    crs=crs,
                    retire_missing=retire_missing,
                    skip_invalid=skip_invalid,
                    reject_report=reject_report,
                    progress=progress,
                )
        except ImportRejected as exc:
            _list_rejects(exc.sample, label)
            raise
    _summary(result, label)


def _list_rejects(sample: tuple[Reject, ...], label: str) -> None:
    for r in sample:
        click.echo(f"  {label} {r.row}, field {r.field!r}: {r.reason}", err=True)


def _summary(result: ImportResult, label: str) -> None:
    click.echo(
        f"{result.path.name} -> {result.type_code}: {result.rows} rows; {result.created} created, "
        f"{result.updated} updated, {result.restored} restored, {result.unchanged} unchanged, "
        f"{result.retired} retired, {result.rejected} rejected"
    )
    if result.rejected:
        _list_rejects(result.sample_rejects, label)
        click.echo(f"rejected rows listed in {result.reject_report}")
    if result.missing_fields:
        click.echo(
            f"note: the file has no field(s) {', '.join(result.missing_fields)}; those "
            "attributes and external ids stay empty"
        )
