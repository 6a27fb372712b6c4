"""SQL shipped inside the package (``registry/sql/*.sql``), read with importlib.resources."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_SECTION = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


@cache
def text(name: str) -> str:
    """The whole file ``registry/sql/<name>``."""
    return resources.files("registry").joinpath("sql", name).read_text(encoding="utf-8")


@cache
def sections(name: str) -> dict[str, str]:
    """The statements of a file split by ``-- name: <section>`` lines, in file order."""
    parts = _SECTION.split(text(name))
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {parts[i]: parts[i + 1].strip().rstrip(";") for i in range(1, len(parts), 2)}
