"""The SQL of the notifications (``gis311/sql/notify/*.sql``), split by ``-- name:`` lines."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

_SECTION = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


@cache
def _sections(file: str) -> dict[str, str]:
    text = (files("gis311") / "sql" / "notify" / f"{file}.sql").read_text(encoding="utf-8")
    parts = _SECTION.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}


def query(file: str, name: str) -> str:
    """Statement ``name`` of ``gis311/sql/notify/<file>.sql``."""
    return _sections(file)[name]
