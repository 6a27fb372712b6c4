"""Streaming CSV: read the header, then hand the body to PostgreSQL's COPY in byte chunks.

The body is never parsed in Python: COPY (FORMAT csv) parses it in the server, so a file of a
million rows streams through a fixed-size buffer. Row numbers are line numbers, the header being
line 1 (a quoted value holding a line break makes later rows' numbers one higher in the file).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from importers.errors import ImportFileError

SUFFIXES = (".csv", ".tsv", ".txt")
DELIMITERS = (",", ";", "\t", "|")
CHUNK_BYTES = 1 << 20
LAT_NAMES = ("latitude", "lat", "y")
LON_NAMES = ("longitude", "lon", "lng", "long", "x")


@dataclass(frozen=True)
class CsvHeader:
    """The header of a CSV file and where its body starts."""

    path: Path
    fields: tuple[str, ...]
    delimiter: str
    body_offset: int
    size: int


def is_csv(path: Path) -> bool:
    """Whether ``path`` is read as CSV (by its suffix)."""
    return path.suffix.lower() in SUFFIXES


def read_header(path: Path) -> CsvHeader:
    """Read the header line: field names and the delimiter (comma, semicolon, tab or bar)."""
    try:
        with path.open("rb") as fh:
            line = fh.readline()
            offset = fh.tell()
            size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(path, f"cannot be read: {exc.strerror}") from None
    if not line.strip():
        raise ImportFileError(path, "is empty; a CSV file needs a header line", where="row 1")
    try:
        text = line.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ImportFileError(path, "the header is not UTF-8 text", where="row 1") from None
    delimiter = max(DELIMITERS, key=text.count)
    fields = tuple(next(csv.reader([text], delimiter=delimiter)))
    seen: set[str] = set()
    for name in fields:
        if not name.strip():
            raise ImportFileError(path, "the header has an empty field name", where="row 1")
        if name in seen:
            raise ImportFileError(path, "the header names it twice", where="row 1", field=name)
        seen.add(name)
    return CsvHeader(path, fields, delimiter, offset, size)


def guess_field(fields: Iterable[str], names: Iterable[str]) -> str | None:
    """The first field whose lower-cased name is one of ``names`` (in ``names``' order)."""
    by_lower = {f.lower(): f for f in fields}
    return next((by_lower[n] for n in names if n in by_lower), None)


def iter_body(header: CsvHeader, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The bytes after the header line, ``chunk_bytes`` at a time."""
    with header.path.open("rb") as fh:
        fh.seek(header.body_offset)
        while chunk := fh.read(chunk_bytes):
            yield chunk
