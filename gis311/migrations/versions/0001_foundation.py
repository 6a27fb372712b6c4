"""Foundation: PostGIS and one schema per domain package.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# One schema per package that owns tables; `gis311` holds what the app itself keeps (migration
# version, API keys, idempotency records, the outbox).
SCHEMAS = ("gis311", "boundaries", "registry", "tiles")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for schema in SCHEMAS:
        op.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def downgrade() -> None:
    for schema in reversed(SCHEMAS):
        if schema != "gis311":
            op.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
