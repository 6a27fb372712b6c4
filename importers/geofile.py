"""Read GeoJSON, Shapefile (``.shp`` or zipped) and GeoPackage files into EPSG:4326.

Reading goes through pyogrio (GDAL) into geopandas; reprojection through pyproj. GDAL reads a
GeoJSON file without a ``crs`` member as WGS84 (RFC 7946), so a file whose coordinates are really
State Plane feet (Boston's precincts are EPSG:2249) would be taken as degrees: such files are
caught by their coordinates falling outside longitude/latitude range, and refused with a hint to
pass the source CRS explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
from pyproj import CRS
from pyproj.exceptions import CRSError

from importers.errors import ImportFileError

SUFFIXES = (".geojson", ".json", ".shp", ".zip", ".gpkg")
WGS84 = CRS.from_epsg(4326)


@dataclass(frozen=True)
class SourceInfo:
    """What a file holds, read from its header without loading the features."""

    path: Path
    sublayer: str | None
    fields: tuple[str, ...]
    feature_count: int
    declared_crs: CRS | None
    geometry_type: str | None
    bounds: tuple[float, float, float, float] | None


def _gdal_path(path: Path) -> str:
    # GDAL opens a zipped shapefile through its virtual zip file system.
    if path.suffix.lower() == ".zip":
        return f"/vsizip/{path}"
    return str(path)


def parse_crs(text: str) -> CRS:
    """``EPSG:2249``, ``2249`` or any other pyproj CRS string; ValueError when unknown."""
    try:
        return CRS.from_user_input(int(text) if text.isdigit() else text)
    except CRSError as exc:
        raise ValueError(f"unknown CRS {text!r}: {exc}") from None


def describe(path: Path, sublayer: str | None = None) -> SourceInfo:
    """Open ``path`` (one layer of it) and report fields, count, declared CRS and bounds."""
    path = Path(path)
    if not path.exists():
        raise ImportFileError(path, "no such file")
    if path.suffix.lower() not in SUFFIXES:
        raise ImportFileError(
            path, f"unsupported file type {path.suffix!r}; expected one of {', '.join(SUFFIXES)}"
        )
    gdal_path = _gdal_path(path)
    try:
        layers = pyogrio.list_layers(gdal_path)
    except Exception as exc:
        raise ImportFileError(path, f"cannot be read as a spatial file: {exc}") from None
    names = [str(row[0]) for row in layers]
    if sublayer is None and len(names) > 1:
        raise ImportFileError(
            path, f"holds {len(names)} layers; pick one with --sublayer: {', '.join(names)}"
        )
    if sublayer is not None and sublayer not in names:
        raise ImportFileError(
            path, f"has no layer {sublayer!r}; its layers are: {', '.join(names)}"
        )
    layer = sublayer if sublayer is not None else (names[0] if names else None)
    try:
        info: dict[str, Any] = pyogrio.read_info(gdal_path, layer=layer, force_total_bounds=True)
    except Exception as exc:
        raise ImportFileError(path, f"cannot be read: {exc}") from None
    declared = CRS.from_user_input(info["crs"]) if info.get("crs") else None
    bounds = info.get("total_bounds")
    return SourceInfo(
        path=path,
        sublayer=layer if sublayer is not None else None,
        fields=tuple(str(f) for f in info["fields"]),
        feature_count=int(info.get("features") or 0),
        declared_crs=declared,
        geometry_type=info.get("geometry_type"),
        bounds=tuple(float(b) for b in bounds) if bounds is not None else None,  # type: ignore[arg-type]
    )


def _looks_geographic(bounds: tuple[float, float, float, float] | None) -> bool:
    if bounds is None:
        return True
    minx, miny, maxx, maxy = bounds
    return -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0


def source_crs(info: SourceInfo, crs: CRS | None = None) -> CRS:
    """The CRS to read the file in: ``crs`` when given, else the declared one, checked."""
    if crs is not None:
        if crs.is_geographic and not _looks_geographic(info.bounds):
            raise ImportFileError(
                info.path, f"coordinates {_fmt(info.bounds)} cannot be longitude/latitude, "
                f"so they are not in {crs.to_string()}; pass the file's projected CRS with --crs",
            )
        return crs
    if info.declared_crs is None:
        raise ImportFileError(
            info.path, "declares no coordinate reference system; pass it with --crs EPSG:NNNN"
        )
    if info.declared_crs.is_geographic and not _looks_geographic(info.bounds):
        raise ImportFileError(
            info.path,
            f"coordinates {_fmt(info.bounds)} cannot be longitude/latitude, yet the file "
            "declares no projected CRS (GeoJSON without a crs member is read as WGS84); pass "
            "the source CRS with --crs EPSG:NNNN (e.g. EPSG:2249 for Massachusetts State "
            "Plane feet)",
        )
    return info.declared_crs


def _fmt(bounds: tuple[float, float, float, float] | None) -> str:
    if bounds is None:
        return "(none)"
    return "(" + ", ".join(f"{b:.6g}" for b in bounds) + ")"


def check_fields(info: SourceInfo, option: str, field: str | None) -> None:
    """Refuse an unknown field named by a command-line option, listing those that exist."""
    if field is not None and field not in info.fields:
        raise ImportFileError(
            info.path,
            f"{option} {field!r} is not a field of this file; its fields are: "
            f"{', '.join(info.fields)}",
        )


def read(
    path: Path,
    *,
    sublayer: str | None = None,
    crs: CRS | None = None,
    columns: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """Every feature of the file in EPSG:4326; the index is the 0-based feature index."""
    info = describe(path, sublayer)
    src = source_crs(info, crs)
    for name in columns or []:
        check_fields(info, "field", name)
    frame = _read_frame(info, columns=columns)
    return _to_wgs84(frame, src)


def iter_batches(
    path: Path,
    *,
    sublayer: str | None = None,
    crs: CRS | None = None,
    columns: list[str] | None = None,
    batch_size: int = 20_000,
) -> Iterator[gpd.GeoDataFrame]:
    """The features in EPSG:4326, ``batch_size`` at a time, so big files stream.

    Each batch's index continues the 0-based feature index of the file.
    """
    info = describe(path, sublayer)
    src = source_crs(info, crs)
    for name in columns or []:
        check_fields(info, "field", name)
    start = 0
    while start < info.feature_count:
        frame = _read_frame(info, columns=columns, skip=start, limit=batch_size)
        if frame.empty:
            break
        frame.index = range(start, start + len(frame))
        yield _to_wgs84(frame, src)
        start += len(frame)


def _read_frame(
    info: SourceInfo, *, columns: list[str] | None, skip: int = 0, limit: int | None = None
) -> gpd.GeoDataFrame:
    try:
        frame = pyogrio.read_dataframe(
            _gdal_path(info.path),
            layer=info.sublayer,
            columns=columns,
            skip_features=skip,
            max_features=limit,
            on_invalid="ignore",
        )
    except Exception as exc:
        raise ImportFileError(info.path, f"cannot be read: {exc}") from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ImportFileError(info.path, "holds no geometry column")
    return frame


def _to_wgs84(frame: gpd.GeoDataFrame, src: CRS) -> gpd.GeoDataFrame:
    frame = frame.set_crs(src, allow_override=True)
    if not src.equals(WGS84, ignore_axis_order=True):
        frame = frame.to_crs(WGS84)
    return frame
