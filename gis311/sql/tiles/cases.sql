-- Tile source of the `cases` layer: public fields only (never reporter contact or notes).
(SELECT c.id, c.geom_3857, c.number, c.service_code, c.status, c.duplicate_count,
        c.parent_id IS NOT NULL AS is_duplicate, c.requested_at AS requested_at_ts,
        to_char(c.requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS requested_at
 FROM registry.service_case c)
