"""``gis311 boundaries``: import boundary files as layer versions, list what is stored."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from boundaries.errors import BoundaryError
from boundaries.models import KINDS, Gap, ImportReport, Overlap
from gis311.cli.common import connect, load_settings, one_line_errors, progress_bar
from importers.errors import ImportFileError

# Overlap and gap lines beyond these are summed up in one line: a file digitised without
# snapping can have hundreds of slivers, and the largest ones are the ones to look at.
MAX_LISTED = 20

T = TypeVar("T", Overlap, Gap)


@click.group()
def boundaries() -> None:
    """Boundary layers (wards, precincts, police districts...) and their versions."""


def _moment(value: str | None, tz: ZoneInfo, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date or date-time (2022-11-07, "
            "2022-11-07T00:00-05:00)",
            param_hint=option,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {name!r}", param_hint="--tz") from None


@boundaries.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--layer", "layer", required=True, metavar="CODE",
              help="Layer code, e.g. ward, precinct, police_district (created when new).")
@click.option("--code-field", required=True, metavar="FIELD",
              help="Field holding the district code; features sharing a code are merged.")
@click.option("--name-field", metavar="FIELD",
              help="Field holding the district name (default: layer name and code).")
@click.option("--kind", type=click.Choice(KINDS),
              help="Kind of a new layer (default: the code when it is a kind, else other).")
@click.option("--valid-from", metavar="DATE",
              help="Start of the version's validity; closes the open version at that time.")
@click.option("--valid-to", metavar="DATE", help="End of the version's validity (exclusive).")
@click.option("--tz", default="UTC", show_default=True, metavar="ZONE",
              help="Time zone of --valid-from/--valid-to values given without an offset.")
@click.option("--crs", metavar="EPSG:NNNN",
              help="The file's CRS when it declares none or declares a wrong one.")
@click.option("--sublayer", metavar="NAME", help="Layer of a GeoPackage holding several.")
@click.option("--label", help="Version label (default: the --valid-from date, else the file "
              "name without extension).")
@click.option("--layer-name", metavar="TEXT", help="Display name of a new layer.")
@click.option("--office-name-field", metavar="FIELD", help="Field with the office's name.")
@click.option("--office-email-field", metavar="FIELD", help="Field with the office's email.")
def import_(
    path: Path,
    layer: str,
    code_field: str,
    name_field: str | None,
    kind: str | None,
    valid_from: str | None,
    valid_to: str | None,
    tz: str,
    crs: str | None,
    sublayer: str | None,
    label: str | None,
    layer_name: str | None,
    office_name_field: str | None,
    office_email_field: str | None,
) -> None:
    """Import the boundary file PATH (GeoJSON, Shapefile .shp/.zip, GeoPackage) as a new
    version of a layer, in one transaction. Importing the identical file again changes
    nothing. Repairs, overlaps and gaps (areas in m²) are reported."""
    from importers import geofile
    from importers.boundary_file import BoundaryFileOptions, import_boundary_file

    zone = _zone(tz)
    try:
        source_crs = geofile.parse_crs(crs) if crs else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--crs") from None
    options = BoundaryFileOptions(
        layer=layer,
        code_field=code_field,
        name_field=name_field,
        kind=kind,
        layer_name=layer_name,
        label=label,
        valid_from=_moment(valid_from, zone, "--valid-from"),
        valid_to=_moment(valid_to, zone, "--valid-to"),
        crs=source_crs,
        sublayer=sublayer,
        office_name_field=office_name_field,
        office_email_field=office_email_field,
    )
    settings = load_settings()
    with (
        one_line_errors(ImportFileError, BoundaryError),
        connect(settings) as conn,
        progress_bar(path) as bar,
    ):

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar("reading", done, total)

        report = import_boundary_file(conn, path, options, progress)
        conn.commit()
    for line in report_lines(report):
        click.echo(line)


def report_lines(report: ImportReport) -> list[str]:
    """What an import did, one fact per line."""
    version = report.version
    if report.unchanged:
        return [
            f"unchanged: layer {report.layer.code} already holds this file as version "
            f"{version.label!r} {version.period_text()} (imported "
            f"{version.imported_at:%Y-%m-%d %H:%M}); nothing to do"
        ]
    lines = []
    for repair in report.repairs:
        dropped = (
            f"; dropped {repair.dropped_parts} zero-area piece(s)" if repair.dropped_parts else ""
        )
        lines.append(
            f"repaired feature {repair.index} (code {repair.code}) with ST_MakeValid: "
            f"{repair.reason}{dropped}"
        )
    for merge in report.merges:
        indexes = ", ".join(str(i) for i in merge.indexes)
        lines.append(f"merged features {indexes} into district {merge.code}")
    lines += _area_lines("overlap", report.overlaps, _overlap_text)
    lines += _area_lines("gap", report.gaps, _gap_text)
    if report.closed is not None:
        lines.append(
            f"closed version {report.closed.label!r} of layer {report.layer.code}: now "
            f"{report.closed.period_text()}"
        )
    created = (
        f" (new layer, kind {report.layer.kind}, name {report.layer.name!r})"
        if report.created_layer else ""
    )
    lines.append(
        f"imported layer {report.layer.code} version {version.label!r} "
        f"{version.period_text()}: {version.feature_count} districts from "
        f"{report.source_features} features{created}"
    )
    return lines


def _area(m2: float) -> str:
    # Slivers from floating-point noise would all print as 0.0; two significant digits show
    # how small they are.
    return f"{m2:,.1f} m²" if m2 >= 0.05 else f"{m2:.2g} m²"


def _overlap_text(overlap: Overlap) -> str:
    return f"districts {overlap.code_a} and {overlap.code_b} share {_area(overlap.area_m2)}"


def _gap_text(gap: Gap) -> str:
    return f"{_area(gap.area_m2)} in no district, around lon {gap.lon:.6f} lat {gap.lat:.6f}"


def _area_lines(what: str, items: Sequence[T], text: Callable[[T], str]) -> list[str]:
    lines = [f"{what}: {text(item)}" for item in items[:MAX_LISTED]]
    rest = items[MAX_LISTED:]
    if rest:
        total = sum(item.area_m2 for item in rest)
        lines.append(f"{what}: {len(rest)} smaller ones, {_area(total)} together")
    return lines


@boundaries.command("list")
def list_() -> None:
    """List the layers and their versions."""
    from boundaries.queries import list_layers, list_versions

    settings = load_settings()
    with connect(settings) as conn:
        layers = list_layers(conn)
        versions = list_versions(conn)
    if not layers:
        click.echo("no boundary layers yet; add one with `gis311 boundaries import`")
        return
    for layer in layers:
        click.echo(f"{layer.code} ({layer.kind}): {layer.name}")
        for version in (v for v in versions if v.layer_id == layer.id):
            click.echo(
                f"  {version.label}  {version.period_text()}  {version.feature_count} "
                f"districts  from {version.source_name}  imported "
                f"{version.imported_at:%Y-%m-%d %H:%M}"
            )
