"""CSV header reading and body streaming."""

from __future__ import annotations

from pathlib import Path

import pytest

from importers import csv_
from importers.errors import ImportFileError
from tests.conftest import FIXTURES


def test_header_and_body(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("\ufeffid,Latitude,Longitude\r\n1,42.1,-71.1\r\n2,42.2,-71.2\r\n".encode())
    header = csv_.read_header(path)
    assert header.fields == ("id", "Latitude", "Longitude") and header.delimiter == ","
    body = b"".join(csv_.iter_body(header, chunk_bytes=5))
    assert body == b"1,42.1,-71.1\r\n2,42.2,-71.2\r\n"
    assert header.size - header.body_offset == len(body)


def test_delimiter_is_detected() -> None:
    header = csv_.read_header(FIXTURES / "hydrants_state_plane_semicolon.csv")
    assert header.delimiter == ";" and header.fields == ("GlobalID", "X", "Y")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"a,b,a\n1,2,3\n", "names it twice"),
        (b"a,,b\n", "empty field name"),
        (b"caf\xe9,b\n", "not UTF-8"),
    ],
)
def test_bad_headers(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        csv_.read_header(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="cannot be read"):
        csv_.read_header(tmp_path / "nope.csv")


def test_guess_field() -> None:
    fields = ("ID", "LATITUDE", "Lng")
    assert csv_.guess_field(fields, csv_.LAT_NAMES) == "LATITUDE"
    assert csv_.guess_field(fields, csv_.LON_NAMES) == "Lng"
    assert csv_.guess_field(("a",), csv_.LAT_NAMES) is None
