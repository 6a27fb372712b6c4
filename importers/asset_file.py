"""Import an asset inventory file (GeoJSON, Shapefile, GeoPackage or CSV) into the registry.

The whole import is one transaction: stream the file into a staging table with COPY, check every
row in SQL (geometry kind, id present and unique, attributes against the type's schema,
coordinates in range), then create new assets, update changed ones (with history) and leave
unchanged ones untouched; retire assets missing from the file only when asked. By default any
rejected row aborts the import with nothing written; with ``skip_invalid`` the other rows are
imported and the rejects written to a CSV report.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from importers import csv_, geofile
from importers.errors import ImportFileError, ImportRejected
from importers.feature_rows import feature_rows
from registry import bulk, bulk_apply, catalog
from registry.bulk_apply import Reject
from registry.errors import NotFound
from registry.models import AssetType

# (phase, done, total): phases "reading" (bytes of a CSV file, features of a spatial file),
# then "checking" and "applying" (no total).
Progress = Callable[[str, int, int | None], None]
SAMPLE = 20


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    path: Path
    type_code: str
    rows: int
    created: int
    updated: int
    restored: int
    unchanged: int
    retired: int
    rejected: int
    reject_report: Path | None = None
    sample_rejects: tuple[Reject, ...] = ()
    missing_fields: tuple[str, ...] = field(default_factory=tuple)


def default_report_path(path: Path) -> Path:
    """Where ``--skip-invalid`` writes rejects when no report path is given: the current folder."""
    return Path.cwd() / f"{path.stem}.rejects.csv"


def import_assets(
    conn: psycopg.Connection,
    path: Path | str,
    *,
    type_code: str,
    id_field: str | None = None,
    lat_field: str | None = None,
    lon_field: str | None = None,
    crs: str | None = None,
    retire_missing: bool = False,
    skip_invalid: bool = False,
    reject_report: Path | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import ``path`` as assets of type ``type_code``; see the module docstring.

    Raises ImportFileError for an unusable file or option, ImportRejected when rows fail the
    checks and ``skip_invalid`` is off (nothing is written then).
    """
    path = Path(path)
    report = reject_report or (default_report_path(path) if skip_invalid else None)
    notify: Progress = progress or (lambda phase, done, total: None)
    try:
        asset_type = catalog.get_asset_type(conn, type_code)
    except NotFound:
        known = ", ".join(t.code for t in catalog.list_asset_types(conn)) or "none yet"
        raise ImportFileError(
            path, f"unknown asset type {type_code!r} (known: {known}); load a catalog first"
        ) from None
    id_option = "--id-field" if id_field else f"the {type_code} type's id_field"
    id_field = id_field or asset_type.id_field
    actor = f"import:{path.name}"
    layout: bulk.Layout
    if csv_.is_csv(path):
        layout, fields, feed = _csv_source(conn, path, asset_type, id_field, id_option,
                                           lat_field, lon_field, crs, notify)
        label = "row"
    else:
        if lat_field or lon_field:
            raise ImportFileError(path, "--lat-field and --lon-field are for CSV files only")
        layout, fields, feed = _feature_source(path, asset_type, id_field, id_option, crs,
                                               notify)
        label = "feature"
    missing = _missing_fields(path, asset_type, fields)
    with conn.transaction():
        bulk.create_tables(conn, layout)
        feed(conn)
        notify("checking", 0, None)
        staged = bulk.stage(conn, asset_type, layout)
        rejected = bulk_apply.check(conn, asset_type, staged, id_field=layout.id_field)
        sample = tuple(bulk_apply.rejects(conn, limit=SAMPLE)) if rejected else ()
        if rejected and report is not None:
            write_report(report, bulk_apply.rejects(conn))
        if rejected and not skip_invalid:
            first = sample[0]
            raise ImportRejected(
                path,
                first.reason,
                where=f"{label} {first.row}",
                field=first.field,
                rejected=rejected,
                sample=sample,
                report=report,
            )
        notify("applying", 0, None)
        applied = bulk_apply.apply(
            conn, asset_type, staged, actor=actor, rejected=rejected,
            retire_missing=retire_missing,
        )
    return ImportResult(
        path=path,
        type_code=type_code,
        rows=staged.rows,
        created=applied.created,
        updated=applied.updated,
        restored=applied.restored,
        unchanged=applied.unchanged,
        retired=applied.retired,
        rejected=rejected,
        reject_report=report if rejected else None,
        sample_rejects=sample,
        missing_fields=missing,
    )


def write_report(path: Path, rejects: Iterator[Reject]) -> None:
    """Write rejects as CSV: row, field, reason, asset_id."""
    try:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["row", "field", "reason", "asset_id"])
            for r in rejects:
                writer.writerow([r.row, r.field, r.reason, r.asset_id or ""])
    except OSError as exc:
        raise ImportFileError(path, f"cannot write the reject report: {exc.strerror}") from None


def _missing_fields(path: Path, asset_type: AssetType, fields: tuple[str, ...]) -> tuple[str, ...]:
    """Attribute and external-id fields the file lacks; a lacking required one is an error."""
    missing = []
    for attr in asset_type.attribute_schema.fields:
        if attr.source_field not in fields:
            if attr.required:
                raise ImportFileError(
                    path,
                    f"required attribute {attr.name!r} of {asset_type.code} has no field "
                    f"{attr.source_field!r} in the file; its fields are: {', '.join(fields)}",
                )
            missing.append(attr.source_field)
    missing += [f for f in asset_type.external_id_fields if f not in fields]
    return tuple(missing)


def _check_field(path: Path, fields: tuple[str, ...], option: str, name: str | None) -> None:
    if name is not None and name not in fields:
        raise ImportFileError(
            path, f"{option} {name!r} is not a field of this file; its fields are: "
            f"{', '.join(fields)}",
        )


Feed = Callable[[psycopg.Connection], None]


def _csv_source(
    conn: psycopg.Connection,
    path: Path,
    asset_type: AssetType,
    id_field: str | None,
    id_option: str,
    lat_field: str | None,
    lon_field: str | None,
    crs: str | None,
    notify: Progress,
) -> tuple[bulk.CsvLayout, tuple[str, ...], Feed]:
    header = csv_.read_header(path)
    fields = header.fields
    if asset_type.geometry_kind != "point":
        raise ImportFileError(
            path,
            f"a CSV file holds points; {asset_type.code} assets are "
            f"{asset_type.geometry_kind}s",
        )
    lat_field = lat_field or csv_.guess_field(fields, csv_.LAT_NAMES)
    lon_field = lon_field or csv_.guess_field(fields, csv_.LON_NAMES)
    if lat_field is None or lon_field is None:
        raise ImportFileError(
            path, "cannot tell which fields hold the coordinates; pass --lat-field and "
            f"--lon-field (its fields are: {', '.join(fields)})",
        )
    _check_field(path, fields, id_option, id_field)
    _check_field(path, fields, "--lat-field", lat_field)
    _check_field(path, fields, "--lon-field", lon_field)
    srid = _srid(conn, path, crs)
    layout = bulk.CsvLayout(fields, id_field, lon_field, lat_field, srid)
    total = header.size - header.body_offset

    def feed(c: psycopg.Connection) -> None:
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            notify("reading", done, total)

        notify("reading", 0, total)
        try:
            bulk.copy_csv(c, layout, csv_.iter_body(header), delimiter=header.delimiter,
                          on_chunk=advance)
        except (psycopg.errors.DataError, psycopg.errors.BadCopyFileFormat) as exc:
            raise _copy_error(path, exc) from None

    return layout, fields, feed


def _copy_error(path: Path, exc: psycopg.Error) -> ImportFileError:
    # COPY numbers the lines it reads from 1; the file's line 1 is the header it never saw.
    match = re.search(r"line (\d+)", exc.diag.context or "")
    where = f"row {int(match.group(1)) + 1}" if match else None
    reason = (exc.diag.message_primary or str(exc)).strip()
    if "invalid byte sequence" in reason:
        reason = f"is not UTF-8 text ({reason})"
    elif "column" in reason:
        reason = f"has the wrong number of fields ({reason})"
    return ImportFileError(path, reason, where=where)


def _srid(conn: psycopg.Connection, path: Path, crs: str | None) -> int:
    if crs is None:
        return 4326
    try:
        code = geofile.parse_crs(crs).to_epsg()
    except ValueError as exc:
        raise ImportFileError(path, str(exc)) from None
    known = conn.execute("SELECT 1 FROM spatial_ref_sys WHERE srid = %s", (code,)).fetchone()
    if code is None or known is None:
        raise ImportFileError(path, f"--crs {crs} has no EPSG code PostGIS knows; use EPSG:NNNN")
    return int(code)


def _feature_source(
    path: Path,
    asset_type: AssetType,
    id_field: str | None,
    id_option: str,
    crs: str | None,
    notify: Progress,
) -> tuple[bulk.FeatureLayout, tuple[str, ...], Feed]:
    info = geofile.describe(path)
    fields = info.fields
    _check_field(path, fields, id_option, id_field)
    try:
        source_crs = geofile.parse_crs(crs) if crs else None
    except ValueError as exc:
        raise ImportFileError(path, str(exc)) from None
    geofile.source_crs(info, source_crs)  # refuses an undeclared or implausible CRS up front
    wanted = {a.source_field: a.name for a in asset_type.attribute_schema.fields}
    columns = sorted(
        {f for f in (*wanted, *asset_type.external_id_fields) if f in fields}
        | ({id_field} if id_field else set())
    )
    layout = bulk.FeatureLayout(id_field, fields)

    def feed(c: psycopg.Connection) -> None:
        done = 0
        notify("reading", 0, info.feature_count)

        def rows() -> Iterator[tuple[int, str | None, bytes | None, str, str]]:
            nonlocal done
            with warnings.catch_warnings():
                # A column mixing numbers and text ("two" lamps) is read as text, with a
                # warning; the attribute checks report such values row by row instead.
                warnings.filterwarnings("ignore", "Could not parse column", UserWarning)
                for batch in geofile.iter_batches(path, crs=source_crs, columns=columns):
                    yield from feature_rows(batch, asset_type, id_field)
                    done += len(batch)
                    notify("reading", done, info.feature_count)

        bulk.copy_features(c, rows())

    return layout, fields, feed
