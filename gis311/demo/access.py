"""The demo's API keys: one councilor key per ward, a crew key and an admin key.

Keys are created with ``gis311.keys`` (only their hashes are stored). The demo shows them once
and also writes them to ``$GIS311_HOME/demo-keys.txt`` (mode 0600) so ``make demo`` can show
them again on later runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from gis311 import keys

KEYS_FILE = "demo-keys.txt"


@dataclass(frozen=True)
class DemoKey:
    """A key the demo created and who it is for."""

    label: str  # "admin", "crew", "councilor ward:3"
    key: str


def _district_codes(conn: psycopg.Connection, layer: str) -> list[str]:
    rows = conn.execute(
        "SELECT f.code FROM boundaries.feature f "
        "JOIN boundaries.version v ON v.id = f.version_id "
        "JOIN boundaries.layer l ON l.id = v.layer_id "
        "WHERE l.code = %s AND v.period @> now()", (layer,),
    ).fetchall()
    # Wards as people count them: 2 before 10.
    return sorted((str(r[0]) for r in rows), key=lambda c: (len(c), c))


def create_keys(conn: psycopg.Connection, layer: str) -> list[DemoKey]:
    """Create the admin key, a crew key for every department of the catalog and a councilor
    key per district of ``layer``."""
    departments = [str(r[0]) for r in conn.execute(
        "SELECT DISTINCT department FROM registry.asset_type ORDER BY 1")]
    made = [DemoKey("admin", keys.create(conn, role="admin", name="demo admin").key)]
    if departments:
        made.append(DemoKey("crew", keys.create(
            conn, role="crew", departments=departments, name="demo crew").key))
    for code in _district_codes(conn, layer):
        district = f"{layer}:{code}"
        made.append(DemoKey(f"councilor {district}", keys.create(
            conn, role="councilor", districts=[district], name=f"demo councilor {district}",
        ).key))
    return made


def keys_text(made: Sequence[DemoKey], map_url: str) -> str:
    """The keys as a small table, with how to use them."""
    width = max(len(k.label) for k in made)
    lines = [
        f"# gis311 demo keys, created {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Paste one into the "
        f"map page ({map_url}) or send it as `Authorization: Bearer KEY`.",
        *(f"{k.label.ljust(width)}  {k.key}" for k in made),
    ]
    return "\n".join(lines) + "\n"


def write_keys_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable by its owner only (0600 from the start)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # an older file keeps its mode through O_TRUNC
