"""``gis311 keys``: create, list and revoke API keys."""

from __future__ import annotations

from datetime import datetime

import click

from gis311 import keys as key_store
from gis311.cli.common import connect, load_settings, one_line_errors


@click.group("keys")
def keys() -> None:
    """API keys: sent as `Authorization: Bearer KEY` (Open311 clients: `api_key`)."""


@keys.command("create")
@click.option("--role", required=True, metavar="ROLE",
              help=f"One of {', '.join(key_store.ROLES)}.")
@click.option("--department", "departments", multiple=True, metavar="D",
              help="A department the key acts for (staff and crew keys; repeatable).")
@click.option("--district", "districts", multiple=True, metavar="LAYER:CODE",
              help="A district the key may read, e.g. ward:3 (councilor keys; repeatable).")
@click.option("--name", default="", metavar="N", help="Who holds the key, e.g. the app's name.")
def keys_create(
    role: str, departments: tuple[str, ...], districts: tuple[str, ...], name: str
) -> None:
    """Create a key and print it (on stdout, alone): it is shown this once and never again."""
    settings = load_settings()
    with one_line_errors(key_store.KeyStoreError):
        key_store.check_spec(role, departments, districts)
        with connect(settings) as conn:
            created = key_store.create(
                conn, role=role, departments=departments, districts=districts, name=name
            )
    click.echo(f"created key {created.info.id}: {_describe(created.info)}", err=True)
    click.echo(created.key)
    click.echo("store the key now: only its hash is kept, it cannot be shown again", err=True)


@keys.command("list")
def keys_list() -> None:
    """List the keys (never the keys themselves: their first characters)."""
    settings = load_settings()
    with connect(settings) as conn:
        infos = key_store.list_keys(conn)
    if not infos:
        click.echo("no API keys; create one with `gis311 keys create --role ROLE`")
        return
    rows = [("id", "prefix", "role", "scope", "name", "created", "last used", "revoked")]
    for info in infos:
        rows.append((
            str(info.id), info.key_prefix + "…", info.role, _scope(info) or "-",
            info.name or "-", _when(info.created_at), _when(info.last_used_at),
            _when(info.revoked_at),
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@keys.command("revoke")
@click.argument("key_id", metavar="ID", type=int)
def keys_revoke(key_id: int) -> None:
    """Revoke key ID: it stops working at once (revoking it again changes nothing)."""
    settings = load_settings()
    with one_line_errors(key_store.KeyStoreError), connect(settings) as conn:
        info = key_store.revoke(conn, key_id)
    click.echo(f"revoked key {info.id} ({_describe(info)}) at {_when(info.revoked_at)}")


def _scope(info: key_store.KeyInfo) -> str:
    return ", ".join((*info.departments, *info.districts))


def _describe(info: key_store.KeyInfo) -> str:
    parts = [f"role {info.role}"]
    if _scope(info):
        parts.append(f"scope {_scope(info)}")
    if info.name:
        parts.append(f"name {info.name!r}")
    parts.append(f"prefix {info.key_prefix}")
    return ", ".join(parts)


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else "-"
