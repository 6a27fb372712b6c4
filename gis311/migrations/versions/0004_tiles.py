"""Tile change feed: the trigger function that tells tile caches what changed.

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

# A statement-level trigger (transition tables new_rows/old_rows) on any table with a
# `geom_3857` column. TG_ARGV[0] names the tile layer. Up to 50 changed rows are sent as one box
# each (a case is one point: 1-4 tiles per zoom to drop); a larger statement sends its extent.
# NOTIFY is delivered at commit, so caches never hear of changes that roll back.
NOTIFY_CHANGE = """
CREATE OR REPLACE FUNCTION tiles.notify_change() RETURNS trigger
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
    PERFORM pg_notify('gis311_tiles', jsonb_build_object('layer', TG_ARGV[0], 'boxes', boxes)::text);
    RETURN NULL;
END
$fn$;
"""


def upgrade() -> None:
    op.execute(NOTIFY_CHANGE)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS tiles.notify_change()")
