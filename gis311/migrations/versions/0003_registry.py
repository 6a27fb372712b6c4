"""Asset registry: catalog, assets, history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The catalog: asset types and the 311 services that attach to them. `service.asset_types` is a
# text[] of asset type codes (no join table: the list is small, read whole and kept in order);
# the catalog loader checks every code exists. `dedup_scope_layer` names a boundary layer code
# and has no foreign key, because the layer may be imported after the catalog.
CATALOG = """
CREATE TABLE registry.asset_type (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,62}$'),
    name text NOT NULL,
    department text NOT NULL,
    geometry_kind text NOT NULL CHECK (geometry_kind IN ('point', 'line', 'polygon')),
    attribute_schema jsonb NOT NULL DEFAULT '{"fields": []}'
        CHECK (jsonb_typeof(attribute_schema -> 'fields') = 'array'),
    snap_radius_m double precision NOT NULL CHECK (snap_radius_m > 0 AND snap_radius_m <= 10000),
    id_field text,
    external_id_fields text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE registry.service (
    code text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    "group" text NOT NULL DEFAULT '',
    keywords text[] NOT NULL DEFAULT '{}',
    asset_types text[] NOT NULL DEFAULT '{}',
    dedup_radius_m double precision CHECK (dedup_radius_m > 0),
    dedup_window interval CHECK (dedup_window > interval '0'),
    dedup_scope_layer text,
    dedup_asset_based boolean NOT NULL DEFAULT false,
    sla_hours double precision CHECK (sla_hours > 0),
    attributes jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(attributes) = 'array'),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""

# The content hash lets an import skip unchanged rows by comparing one column. It is a generated
# column, so every writer (API, import, psql) keeps it true without remembering to.
CONTENT_HASH = """
CREATE FUNCTION registry.asset_content_hash(g geometry, attrs jsonb, ext jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN md5(encode(ST_AsEWKB(g), 'hex') || attrs::text || ext::text);
"""

# geom_3857 is what KNN and the tile server read: one GiST index serves `<->` ordering, bbox
# filters and tile envelopes. In Web Mercator a metre on the ground is 1/cos(lat) units in every
# direction, so KNN order is right within a city and a radius of r metres is r/cos(lat) units.
# Latitudes are kept within Web Mercator's range (+-85.0511) so the transform is always finite.
ASSET = """
CREATE TABLE registry.asset (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- 1-128 characters, no control characters, no surrounding spaces (registry/ids.py). Three
    -- cheap tests, not one anchored pattern with a counted repetition, which is 5x slower.
    asset_id text NOT NULL UNIQUE CHECK (
        length(asset_id) BETWEEN 1 AND 128 AND asset_id !~ '[[:cntrl:]]'
        AND asset_id !~ '^[[:space:]]|[[:space:]]$'
    ),
    type_code text NOT NULL REFERENCES registry.asset_type (code),
    external_ids jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(external_ids) = 'object'),
    geom geometry(Geometry, 4326) NOT NULL CHECK (
        NOT ST_IsEmpty(geom)
        AND GeometryType(geom) IN
            ('POINT', 'MULTIPOINT', 'LINESTRING', 'MULTILINESTRING', 'POLYGON', 'MULTIPOLYGON')
        AND ST_YMin(geom) >= -85.0511 AND ST_YMax(geom) <= 85.0511
        AND ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180
    ),
    geom_3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('planned', 'active', 'out_of_service', 'retired')),
    attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    condition_score double precision CHECK (condition_score >= 0 AND condition_score <= 100),
    condition_date date,
    content_hash text NOT NULL
        GENERATED ALWAYS AS (registry.asset_content_hash(geom, attributes, external_ids)) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX asset_geom_3857_gist ON registry.asset USING gist (geom_3857);
CREATE INDEX asset_type_status ON registry.asset (type_code, status);
CREATE INDEX asset_updated ON registry.asset (updated_at, asset_id);
"""

# Append-only: a statement trigger refuses UPDATE, DELETE and TRUNCATE outright.
HISTORY = """
CREATE TABLE registry.asset_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_pk bigint NOT NULL REFERENCES registry.asset (id),
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('created', 'updated', 'retired', 'restored')),
    old jsonb,
    new jsonb
);
CREATE INDEX asset_history_asset ON registry.asset_history (asset_pk, id);

CREATE FUNCTION registry.refuse_history_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'registry.asset_history is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END
$fn$;
CREATE TRIGGER asset_history_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON registry.asset_history
    FOR EACH STATEMENT EXECUTE FUNCTION registry.refuse_history_change();
"""


def upgrade() -> None:
    # exec_driver_sql: the DDL goes to the server as written (SQLAlchemy's text() would take the
    # `:cntrl:` of the regex classes for bind parameters).
    bind = op.get_bind()
    for script in (CATALOG, CONTENT_HASH, ASSET, HISTORY):
        bind.exec_driver_sql(script)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS registry.asset_history")
    op.execute("DROP FUNCTION IF EXISTS registry.refuse_history_change()")
    op.execute("DROP TABLE IF EXISTS registry.asset")
    op.execute("DROP FUNCTION IF EXISTS registry.asset_content_hash(geometry, jsonb, jsonb)")
    op.execute("DROP TABLE IF EXISTS registry.service")
    op.execute("DROP TABLE IF EXISTS registry.asset_type")
