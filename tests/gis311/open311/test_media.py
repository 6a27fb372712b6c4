"""Photos: recognised by their bytes, stored once by content hash, found by name only."""

from __future__ import annotations

from pathlib import Path

import pytest

from gis311.errors import ApiError
from gis311.open311 import media
from tests.gis311.open311.test_routes import PNG


@pytest.mark.parametrize(
    ("head", "ext"),
    [(b"\xff\xd8\xff\xe0....JFIF", "jpg"), (PNG, "png"), (b"GIF89a....", "gif"),
     (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"), (b"\x00\x00\x00\x18ftypheic....", "heic"),
     (b"<svg xmlns=...>", None), (b"%PDF-1.7", None), (b"", None)],
)
def test_sniff_reads_the_kind_from_the_bytes(head: bytes, ext: str | None) -> None:
    assert media.sniff(head) == ext


def test_store_keeps_one_file_per_content_and_refuses_non_images(tmp_path: Path) -> None:
    name = media.store(tmp_path, PNG)
    assert media.NAME.match(name) and name.endswith(".png")
    assert media.store(tmp_path, PNG) == name
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [name.split("/")[1]]
    assert media.path_of(tmp_path, name) == tmp_path / name
    assert media.path_of(tmp_path, "../" + name) is None
    assert media.path_of(tmp_path, name.replace(".png", ".jpg")) is None
    with pytest.raises(ApiError, match="must be a JPEG, PNG"):
        media.store(tmp_path, b"<html>")
