"""Tile change feed on the tiled tables: cases, assets, boundary features.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

from tiles.triggers import change_trigger_ddl

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (schema, table, tile cache layer). Every boundary layer shares the cache layer "boundaries":
# boundaries change rarely, so dropping all boundary tiles under a changed box costs nothing.
TILED = (
    ("registry", "service_case", "cases"),
    ("registry", "asset", "assets"),
    ("boundaries", "feature", "boundaries"),
)


def upgrade() -> None:
    for schema, table, layer in TILED:
        for statement in change_trigger_ddl(schema, table, layer):
            op.execute(statement)


def downgrade() -> None:
    for schema, table, _layer in TILED:
        for op_name in ("insert", "update", "delete"):
            op.execute(f'DROP TRIGGER IF EXISTS "{table}_tiles_{op_name}" ON "{schema}"."{table}"')
