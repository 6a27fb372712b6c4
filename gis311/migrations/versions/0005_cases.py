"""Cases: service requests, their districts, history, reporter contact, outbox, idempotency.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CHANNELS = ("phone", "web", "app", "email", "walk_in", "open311", "import")
CLOSURE_REASONS = ("resolved", "duplicate", "invalid", "referred", "no_action")


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# A sequence, not a counter row: a counter row would be locked by every intake until its commit
# and serialise the whole city's intake on one fsync at a time. Numbers are year + sequence
# (26-00001234); a rolled-back intake leaves a gap, which residents never see.
CASES = f"""
CREATE SEQUENCE registry.case_number_seq;

CREATE TABLE registry.service_case (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number text NOT NULL UNIQUE,
    service_code text NOT NULL REFERENCES registry.service (code),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 4000),
    address text CHECK (char_length(address) <= 500),
    channel text NOT NULL CHECK (channel IN ({_list(CHANNELS)})),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'closed')),
    closure_reason text CHECK (closure_reason IN ({_list(CLOSURE_REASONS)})),
    requested_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    expected_at timestamptz,
    closed_at timestamptz,
    attributes jsonb NOT NULL DEFAULT '{{}}' CHECK (jsonb_typeof(attributes) = 'object'),
    media_urls text[] NOT NULL DEFAULT '{{}}',
    language text CHECK (char_length(language) <= 35),
    asset_pk bigint REFERENCES registry.asset (id),
    asset_distance_m double precision,
    parent_id bigint REFERENCES registry.service_case (id),
    duplicate_count integer NOT NULL DEFAULT 0 CHECK (duplicate_count >= 0),
    -- Set only on a case that is the repeat-report anchor of an asset-based service: the unique
    -- index below then allows one open anchor per (asset, service), the backstop behind the
    -- intake's advisory lock. A case split off by staff keeps its asset but is no anchor.
    dedup_asset_pk bigint,
    client text NOT NULL DEFAULT 'public',
    geom geometry(Point, 4326) NOT NULL CHECK (
        ST_X(geom) BETWEEN -180 AND 180 AND ST_Y(geom) BETWEEN -85.0511 AND 85.0511
    ),
    geom_3857 geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    CONSTRAINT closed_has_reason CHECK ((status = 'closed') = (closure_reason IS NOT NULL)),
    CONSTRAINT closed_has_time CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    CONSTRAINT duplicate_has_parent
        CHECK ((closure_reason IS NOT DISTINCT FROM 'duplicate') = (parent_id IS NOT NULL)),
    CONSTRAINT not_own_parent CHECK (parent_id <> id)
);
CREATE INDEX service_case_geom_3857_gist ON registry.service_case USING gist (geom_3857);
CREATE UNIQUE INDEX service_case_one_open_asset_anchor
    ON registry.service_case (dedup_asset_pk, service_code)
    WHERE dedup_asset_pk IS NOT NULL AND parent_id IS NULL AND status <> 'closed';
-- Repeat-report lookups by radius only ever look at open parents: a small partial index. It
-- leaves service_code out on purpose: with it, the planner also picks this index for the
-- asset-based lookup and filters every open parent of the service instead of using the unique
-- (dedup_asset_pk, service_code) index above.
CREATE INDEX service_case_open_parents
    ON registry.service_case USING gist (geom_3857)
    WHERE parent_id IS NULL AND status <> 'closed';
CREATE INDEX service_case_parent ON registry.service_case (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX service_case_asset ON registry.service_case (asset_pk) WHERE asset_pk IS NOT NULL;
CREATE INDEX service_case_requested ON registry.service_case (requested_at, id);
CREATE INDEX service_case_updated ON registry.service_case (updated_at, id);

CREATE TABLE registry.case_district (
    case_id bigint NOT NULL REFERENCES registry.service_case (id) ON DELETE CASCADE,
    layer text NOT NULL,
    feature_id bigint NOT NULL,
    code text NOT NULL,
    version_id integer NOT NULL,
    PRIMARY KEY (case_id, layer)
);
CREATE INDEX case_district_layer_code ON registry.case_district (layer, code, case_id);
CREATE INDEX case_district_feature ON registry.case_district (feature_id, case_id);

CREATE TABLE registry.case_event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id bigint NOT NULL REFERENCES registry.service_case (id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    kind text NOT NULL,
    note text,
    internal boolean NOT NULL DEFAULT false,
    data jsonb NOT NULL DEFAULT '{{}}'
);
CREATE INDEX case_event_case ON registry.case_event (case_id, id);

-- Reporter contact lives apart from the case so no query of the case can return it by accident.
CREATE TABLE registry.case_contact (
    case_id bigint PRIMARY KEY REFERENCES registry.service_case (id) ON DELETE CASCADE,
    name text,
    email text,
    phone text,
    device_id text,
    account_id text
);

-- Transactional outbox: written in the intake's transaction, drained by `gis311 worker`.
CREATE TABLE registry.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    topic text NOT NULL,
    case_id bigint NOT NULL REFERENCES registry.service_case (id) ON DELETE CASCADE,
    payload jsonb NOT NULL DEFAULT '{{}}'
);
"""

# Idempotency keys of case intake, scoped by client: two apps may pick the same key. The row is
# inserted first in the intake's transaction, so a twin request blocks on it until the first
# commits (then replays the stored response) or rolls back (then does the work itself).
IDEMPOTENCY = """
CREATE TABLE registry.intake_key (
    client text NOT NULL,
    key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash text NOT NULL,
    case_id bigint REFERENCES registry.service_case (id) ON DELETE CASCADE,
    response text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client, key)
);
CREATE INDEX intake_key_created ON registry.intake_key (created_at);
"""


def upgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql(CASES)
    bind.exec_driver_sql(IDEMPOTENCY)


def downgrade() -> None:
    tables = ("intake_key", "outbox", "case_contact", "case_event", "case_district", "service_case")
    for table in tables:
        op.execute(f"DROP TABLE IF EXISTS registry.{table}")
    op.execute("DROP SEQUENCE IF EXISTS registry.case_number_seq")
