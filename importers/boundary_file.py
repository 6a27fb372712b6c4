"""Import a boundary file (GeoJSON, Shapefile, GeoPackage) as a new version of a layer.

The file is read through ``importers.geofile`` (reprojected to EPSG:4326, refused when its
coordinates cannot be the CRS it claims), each feature becomes a ``SourceFeature`` keyed by the
code field, and ``boundaries.store.import_version`` does the rest in one transaction: features
sharing a code become one district. The file's SHA-256 (with a shapefile's sidecar files) is
the version's identity: importing the same bytes into the same layer again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import shapely
from psycopg import Connection
from pyproj import CRS

from boundaries.errors import InvalidFeature
from boundaries.models import ImportReport, SourceFeature, VersionSpec
from boundaries.store import import_version
from importers import geofile
from importers.errors import ImportFileError

# Features handed to the database per COPY; boundary files are small, so this mostly sets how
# often the progress bar moves.
BATCH_SIZE = 2_000
SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")

Progress = Callable[[int, int], None]
"""Called with (features read so far, features in the file)."""


@dataclass(frozen=True)
class BoundaryFileOptions:
    """How to read a boundary file: which field holds the code, which the name, and so on."""

    layer: str
    code_field: str
    name_field: str | None = None
    kind: str | None = None
    layer_name: str | None = None
    label: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    crs: CRS | None = None
    sublayer: str | None = None
    office_name_field: str | None = None
    office_email_field: str | None = None

    def fields(self) -> dict[str, str | None]:
        """Option name -> the file field it names."""
        return {
            "--code-field": self.code_field,
            "--name-field": self.name_field,
            "--office-name-field": self.office_name_field,
            "--office-email-field": self.office_email_field,
        }


def file_sha256(path: Path) -> str:
    """SHA-256 of the file; for a ``.shp``, of it and its sidecar files together."""
    digest = hashlib.sha256()
    paths = [path]
    if path.suffix.lower() == ".shp":
        paths = [p for ext in SHAPEFILE_SIDECARS if (p := path.with_suffix(ext)).exists()]
    for part in paths:
        with part.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _text(value: Any) -> str | None:
    """A field value as text: 7.0 -> "7", blanks and nulls -> None."""
    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _properties(frame: pd.DataFrame) -> list[dict[str, Any]]:
    # pandas writes NaN as null, dates as ISO text and numpy numbers as plain JSON numbers.
    attributes = frame.drop(columns=[frame.geometry.name])
    records: list[dict[str, Any]] = json.loads(
        attributes.to_json(orient="records", date_format="iso", default_handler=str)
    )
    return records


def source_features(
    path: Path, options: BoundaryFileOptions, crs: CRS
) -> Iterator[list[SourceFeature]]:
    """The file's features as SourceFeatures, a batch at a time; a feature without a code is
    an ImportFileError naming its index and the code field."""
    for frame in geofile.iter_batches(
        path, sublayer=options.sublayer, crs=crs, batch_size=BATCH_SIZE
    ):
        geometries = shapely.to_wkb(frame.geometry.values, output_dimension=2)
        batch = []
        for (index, row), geometry, properties in zip(
            frame.iterrows(), geometries, _properties(frame), strict=True
        ):
            code = _text(row[options.code_field])
            if code is None:
                raise ImportFileError(
                    path, "no code (the value is empty)", where=f"feature {index}",
                    field=options.code_field,
                )
            batch.append(
                SourceFeature(
                    index=int(index),
                    code=code,
                    name=_field(row, options.name_field),
                    wkb=geometry,
                    properties=properties,
                    office_name=_field(row, options.office_name_field),
                    office_email=_field(row, options.office_email_field),
                )
            )
        yield batch


def _field(row: pd.Series, field: str | None) -> str | None:
    return _text(row[field]) if field is not None else None


def import_boundary_file(
    conn: Connection,
    path: Path,
    options: BoundaryFileOptions,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``path`` as a new version of ``options.layer``, all or nothing."""
    path = Path(path)
    info = geofile.describe(path, options.sublayer)
    for option, field in options.fields().items():
        geofile.check_fields(info, option, field)
    crs = geofile.source_crs(info, options.crs)
    label = options.label or (
        options.valid_from.date().isoformat() if options.valid_from else path.stem
    )
    spec = VersionSpec(
        layer=options.layer,
        kind=options.kind,
        layer_name=options.layer_name,
        label=label,
        valid_from=options.valid_from,
        valid_to=options.valid_to,
        source_name=path.name,
        source_sha256=file_sha256(path),
        source_options={
            "crs": crs.to_string(),
            "sublayer": options.sublayer,
            **{option.lstrip("-"): field for option, field in options.fields().items()},
        },
    )
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, info.feature_count)

    try:
        return import_version(conn, spec, source_features(path, options, crs), advance)
    except InvalidFeature as exc:
        raise ImportFileError(
            path, exc.reason, where=f"feature {exc.index}", field=exc.field
        ) from None
