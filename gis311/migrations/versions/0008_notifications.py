"""Notifications: subscriptions to districts, deliveries fanned out from the case outbox, and
a log of every delivery attempt.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NOTIFICATIONS = r"""
-- A boundary feature (layer:code) that someone follows. The code, not the feature id: a
-- subscription follows its district across redistricting versions.
CREATE TABLE gis311.subscription (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer text NOT NULL CHECK (layer ~ '^[a-z][a-z0-9_]{0,62}$'),
    code text NOT NULL CHECK (char_length(code) BETWEEN 1 AND 200),
    -- NULL: every service.
    service_codes text[] CHECK (
        service_codes IS NULL
        OR (cardinality(service_codes) > 0 AND array_position(service_codes, NULL) IS NULL)
    ),
    channel text NOT NULL CHECK (channel IN ('webhook', 'email')),
    url text CHECK (url ~ '^https?://[^\s]+$' AND char_length(url) <= 2000),
    email text CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND char_length(email) <= 320),
    -- The HMAC key of a webhook's signatures: kept as is (signing needs it), shown once.
    secret text,
    digest text NOT NULL DEFAULT 'immediate' CHECK (digest IN ('immediate', 'hourly', 'daily')),
    created_by integer REFERENCES gis311.api_key (id),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT one_target CHECK (
        (channel = 'webhook' AND url IS NOT NULL AND email IS NULL AND secret IS NOT NULL)
        OR (channel = 'email' AND email IS NOT NULL AND url IS NULL)
    ),
    CONSTRAINT digest_is_email CHECK (channel = 'email' OR digest = 'immediate'),
    CONSTRAINT deleted_inactive CHECK ((deleted_at IS NULL) = active)
);
CREATE INDEX subscription_district ON gis311.subscription (layer, code) WHERE active;

-- Fan-out marker on the outbox: NULL until the worker turned the event into deliveries, in
-- the same transaction as those deliveries. A marker, not an id cursor: outbox ids come from an
-- identity, so a transaction can commit a smaller id after a larger one has been read.
ALTER TABLE registry.outbox ADD COLUMN fanned_out_at timestamptz;
CREATE INDEX outbox_not_fanned_out ON registry.outbox (id) WHERE fanned_out_at IS NULL;

-- One event for one subscription. delivery_id is what receivers see (X-GIS311-Delivery): it
-- stays the same across retries, so they can drop repeats. A claimed delivery's
-- next_attempt_at is moved one lease ahead: a worker killed mid-send leaves it due again
-- when the lease runs out.
CREATE TABLE gis311.delivery (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint NOT NULL REFERENCES gis311.subscription (id),
    outbox_id bigint NOT NULL REFERENCES registry.outbox (id) ON DELETE CASCADE,
    delivery_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    event text NOT NULL,
    -- The notification as fanned out (event, change, case): every retry sends the same one.
    body jsonb NOT NULL,
    -- Email digests: the end of the hour or day the event belongs to (one message per
    -- subscription and period); NULL for immediate deliveries.
    digest_period timestamptz,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status_code integer,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    UNIQUE (subscription_id, outbox_id),
    CONSTRAINT delivered_has_time CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX delivery_due ON gis311.delivery (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX delivery_failed ON gis311.delivery (id) WHERE status = 'failed';
CREATE INDEX delivery_subscription ON gis311.delivery (subscription_id, id);
CREATE INDEX delivery_outbox ON gis311.delivery (outbox_id);

-- Every attempt, written when the worker claims the delivery and completed with the answer;
-- one left unfinished by a killed worker is closed as interrupted when the delivery is
-- claimed again.
CREATE TABLE gis311.delivery_attempt (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_pk bigint NOT NULL REFERENCES gis311.delivery (id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status_code integer,
    error text,
    duration_ms integer
);
CREATE INDEX delivery_attempt_delivery ON gis311.delivery_attempt (delivery_pk, id);
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(NOTIFICATIONS)


def downgrade() -> None:
    for table in ("delivery_attempt", "delivery", "subscription"):
        op.execute(f"DROP TABLE IF EXISTS gis311.{table}")
    op.execute("DROP INDEX IF EXISTS registry.outbox_not_fanned_out")
    op.execute("ALTER TABLE registry.outbox DROP COLUMN IF EXISTS fanned_out_at")
