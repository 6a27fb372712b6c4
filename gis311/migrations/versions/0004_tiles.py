"""Tile change feed: the log of changed boxes that tile caches poll, and its trigger.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The change log tile caches poll. A statement-level trigger (transition tables new_rows /
# old_rows) on any table with a `geom_3857` column writes one row per statement; TG_ARGV[0] names
# the tile layer. Up to 50 changed rows are logged as one box each (a case is one point: 1-4
# tiles per zoom to drop); a larger statement logs its extent. Rows become visible at commit, so
# caches never hear of changes that roll back.
#
# A log row rather than NOTIFY in the writing transaction: NOTIFY takes a database-wide lock from
# pre-commit to the end of the commit, so every notifying transaction would flush its WAL alone,
# one after the other, and case intake could not group commits. Writers send a NOTIFY of their
# own after committing, only to wake the pollers early.
#
# `xid` lets a poller read each row exactly when it becomes visible: rows of transactions that
# were still running at its previous poll have xid >= that poll's snapshot xmin.
CHANGE_LOG = """
CREATE TABLE tiles.change (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at timestamptz NOT NULL DEFAULT now(),
    layer text NOT NULL,
    boxes jsonb
);
CREATE INDEX change_xid ON tiles.change (xid);
CREATE INDEX change_at ON tiles.change (at);

CREATE OR REPLACE FUNCTION tiles.log_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    total bigint;
    ext box2d;
    boxes jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT count(*), ST_Extent(geom_3857) INTO total, ext FROM new_rows;
        SELECT jsonb_agg(jsonb_build_array(ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g)))
          INTO boxes
          FROM (SELECT geom_3857 AS g FROM new_rows WHERE geom_3857 IS NOT NULL LIMIT 50) s;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT count(*), ST_Extent(geom_3857) INTO total, ext FROM old_rows;
        SELECT jsonb_agg(jsonb_build_array(ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g)))
          INTO boxes
          FROM (SELECT geom_3857 AS g FROM old_rows WHERE geom_3857 IS NOT NULL LIMIT 50) s;
    ELSE
        SELECT count(*), ST_Extent(g) INTO total, ext
          FROM (SELECT geom_3857 AS g FROM new_rows
                UNION ALL SELECT geom_3857 FROM old_rows) u;
        SELECT jsonb_agg(jsonb_build_array(ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g)))
          INTO boxes
          FROM (SELECT g FROM (SELECT geom_3857 AS g FROM new_rows
                               UNION ALL SELECT geom_3857 FROM old_rows) u
                 WHERE g IS NOT NULL LIMIT 50) s;
    END IF;
    IF total = 0 THEN
        RETURN NULL;
    END IF;
    IF total > 50 OR boxes IS NULL THEN
        boxes := CASE WHEN ext IS NULL THEN NULL ELSE jsonb_build_array(jsonb_build_array(
            ST_XMin(ext), ST_YMin(ext), ST_XMax(ext), ST_YMax(ext))) END;
    END IF;
    INSERT INTO tiles.change (layer, boxes) VALUES (TG_ARGV[0], boxes);
    RETURN NULL;
END
$fn$;
"""


def upgrade() -> None:
    op.get_bind().exec_driver_sql(CHANGE_LOG)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS tiles.log_change()")
    op.execute("DROP TABLE IF EXISTS tiles.change")
