"""Photos uploaded with Open311 reports: checked to be images, stored by content hash.

A file is kept as ``<media dir>/<first two hex digits>/<sha256>.<ext>``: the same photo sent
twice is stored once, and a name never changes content, so ``/media`` can let caches keep it
for good. The kind is read from the bytes, never from the client's file name or content type.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from gis311.errors import ApiError

CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
}
NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.(jpg|png|gif|webp|heic)$")


def sniff(data: bytes) -> str | None:
    """The extension of the image kind ``data`` starts like, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "heic"
    return None


def store(folder: Path, data: bytes) -> str:
    """Keep ``data`` under ``folder``; its name relative to the folder (for the URL)."""
    ext = sniff(data)
    if ext is None:
        raise ApiError("media must be a JPEG, PNG, GIF, WebP or HEIC image", status=400)
    digest = hashlib.sha256(data).hexdigest()
    name = f"{digest[:2]}/{digest}.{ext}"
    target = folder / name
    if target.exists():
        return name
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed into place: a reader never sees half a file.
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return name


def path_of(folder: Path, name: str) -> Path | None:
    """The stored file named ``name`` (as ``store`` returned it), or None."""
    if not NAME.match(name):
        return None
    path = folder / name
    return path if path.is_file() else None
