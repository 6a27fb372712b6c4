"""API keys: who may call the service, in which role and scope.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ROLES = ("reporter_app", "staff", "crew", "councilor", "admin")

# Only the SHA-256 of a key is kept: keys are 32 random bytes, so a fast hash cannot be
# brute-forced and a slow password hash would only cost every request time. `key_prefix` is the
# key's first characters (not secret enough to use it, unique enough to find its row and to tell
# keys apart in `gis311 keys list`).
API_KEY = f"""
CREATE FUNCTION gis311.valid_districts(districts text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN NOT EXISTS (
    SELECT 1 FROM unnest(districts) d WHERE d IS NULL OR d !~ '^[a-z][a-z0-9_]{{0,62}}:.+$'
);

CREATE TABLE gis311.api_key (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL DEFAULT '' CHECK (char_length(name) <= 200),
    role text NOT NULL CHECK (role IN ({", ".join(f"'{r}'" for r in ROLES)})),
    departments text[] NOT NULL DEFAULT '{{}}' CHECK (array_position(departments, NULL) IS NULL),
    districts text[] NOT NULL DEFAULT '{{}}' CHECK (gis311.valid_districts(districts)),
    key_prefix text NOT NULL UNIQUE,
    key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{{64}}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_used_at timestamptz
);
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(API_KEY)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS gis311.api_key")
    op.execute("DROP FUNCTION IF EXISTS gis311.valid_districts(text[])")
