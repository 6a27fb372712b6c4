"""Boundary layers, versions and features.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KINDS = (
    "council_district",
    "ward",
    "precinct",
    "police_district",
    "police_beat",
    "neighborhood",
    "service_area",
    "other",
)

UPGRADE = [
    # btree_gist lets one exclusion constraint say "same layer AND overlapping period".
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""
    CREATE TABLE boundaries.layer (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        code text NOT NULL UNIQUE
            CONSTRAINT layer_code_format CHECK (code ~ '^[a-z][a-z0-9_]{{0,62}}$'),
        name text NOT NULL CONSTRAINT layer_name_nonempty CHECK (btrim(name) <> ''),
        kind text NOT NULL CONSTRAINT layer_kind_known
            CHECK (kind IN ({", ".join(f"'{k}'" for k in KINDS)})),
        created_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    # valid_from NULL = in force since always (the first map a city loads usually covers every
    # old case); valid_to NULL = still in force. The period is half-open [valid_from, valid_to).
    """
    CREATE TABLE boundaries.version (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        layer_id integer NOT NULL REFERENCES boundaries.layer (id) ON DELETE CASCADE,
        label text NOT NULL CONSTRAINT version_label_nonempty CHECK (btrim(label) <> ''),
        valid_from timestamptz,
        valid_to timestamptz,
        period tstzrange GENERATED ALWAYS AS (tstzrange(valid_from, valid_to, '[)')) STORED,
        source_name text NOT NULL,
        source_sha256 text NOT NULL CONSTRAINT version_sha256_hex
            CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
        source_options jsonb NOT NULL DEFAULT '{}'::jsonb,
        feature_count integer NOT NULL DEFAULT 0,
        imported_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT version_period_order
            CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to),
        CONSTRAINT version_label_unique UNIQUE (layer_id, label),
        -- Importing the identical file into a layer again finds this row and changes nothing.
        CONSTRAINT version_source_unique UNIQUE (layer_id, source_sha256),
        CONSTRAINT version_no_overlap EXCLUDE USING gist (layer_id WITH =, period WITH &&)
    )
    """,
    """
    CREATE TABLE boundaries.feature (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        version_id integer NOT NULL REFERENCES boundaries.version (id) ON DELETE CASCADE,
        code text NOT NULL CONSTRAINT feature_code_nonempty CHECK (btrim(code) <> ''),
        name text NOT NULL,
        geom geometry(MultiPolygon, 4326) NOT NULL
            CONSTRAINT feature_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
        properties jsonb NOT NULL DEFAULT '{}'::jsonb,
        office_name text,
        office_email text,
        -- Web Mercator copy for the tile server: tiles filter and clip in 3857 without
        -- transforming every row per request.
        geom_3857 geometry(MultiPolygon, 3857)
            GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
        CONSTRAINT feature_code_unique UNIQUE (version_id, code)
    )
    """,
    "CREATE INDEX feature_geom_gist ON boundaries.feature USING gist (geom)",
    "CREATE INDEX feature_geom_3857_gist ON boundaries.feature USING gist (geom_3857)",
    # Point-in-polygon against a ward with thousands of vertices costs a walk over all its
    # edges; ST_Subdivide cuts each feature into parts of at most a few dozen vertices whose
    # bounding boxes hug the shape, so the GiST probe finds one or two small candidates.
    """
    CREATE TABLE boundaries.feature_part (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        feature_id bigint NOT NULL REFERENCES boundaries.feature (id) ON DELETE CASCADE,
        version_id integer NOT NULL REFERENCES boundaries.version (id) ON DELETE CASCADE,
        geom geometry(Polygon, 4326) NOT NULL
    )
    """,
    "CREATE INDEX feature_part_geom_gist ON boundaries.feature_part USING gist (geom)",
    "CREATE INDEX feature_part_feature ON boundaries.feature_part (feature_id)",
]

DOWNGRADE = [
    "DROP TABLE IF EXISTS boundaries.feature_part",
    "DROP TABLE IF EXISTS boundaries.feature",
    "DROP TABLE IF EXISTS boundaries.version",
    "DROP TABLE IF EXISTS boundaries.layer",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
