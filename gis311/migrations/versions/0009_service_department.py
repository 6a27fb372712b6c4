"""Services belong to a department: the scope of staff and crew keys.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE registry.service ADD COLUMN department text")
    # Until a catalog names it, a service belongs to the department of its first asset type.
    op.execute(
        "UPDATE registry.service s SET department = t.department "
        "FROM registry.asset_type t WHERE t.code = s.asset_types[1]"
    )
    op.execute("CREATE INDEX service_department ON registry.service (department)")


def downgrade() -> None:
    op.execute("ALTER TABLE registry.service DROP COLUMN department")
