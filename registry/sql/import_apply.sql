-- Bulk import, part two: checks across rows, then the changes, set-based.
-- Each section below is one statement, run in this order by registry/bulk_apply.py inside the
-- import's transaction. pg_temp.asset_staging and pg_temp.asset_reject are made by
-- registry/bulk.py. (No percent signs in comments: psycopg reads them as placeholders.)

-- name: number_shared_locations
-- Files without an id field get ids made from the location; assets sharing a location are
-- told apart by their order in the file: the second gets "-2", the third "-3".
UPDATE pg_temp.asset_staging s
SET asset_id = s.asset_id || '-' || d.n
FROM (
    SELECT row_no, row_number() OVER (PARTITION BY asset_id ORDER BY row_no) AS n
    FROM pg_temp.asset_staging
    WHERE asset_id IN (SELECT asset_id FROM pg_temp.asset_staging
                       WHERE asset_id IS NOT NULL GROUP BY asset_id HAVING count(*) > 1)
) d
WHERE s.row_no = d.row_no AND d.n > 1;

-- name: reject_row_problems
INSERT INTO pg_temp.asset_reject (row_no, field, reason, asset_id)
SELECT s.row_no, %(fields)s::jsonb ->> p.key, p.value, s.asset_id
FROM pg_temp.asset_staging s
CROSS JOIN LATERAL jsonb_each_text(s.problems) p
WHERE s.problems <> '{}'::jsonb;

-- name: reject_repeated_ids
INSERT INTO pg_temp.asset_reject (row_no, field, reason, asset_id)
SELECT s.row_no, %(id_field)s,
       'id ' || s.asset_id || ' appears ' || d.n || ' times in the file (at '
       || array_to_string(d.rows[1:5], ', ') || CASE WHEN d.n > 5 THEN ', ...' ELSE '' END
       || ')',
       s.asset_id
FROM pg_temp.asset_staging s
JOIN (
    SELECT asset_id, count(*) AS n, array_agg(row_no ORDER BY row_no) AS rows
    FROM pg_temp.asset_staging
    WHERE asset_id IS NOT NULL
    GROUP BY asset_id
    HAVING count(*) > 1
) d USING (asset_id);

-- name: match_existing
-- The one join between the file and the registry: which rows name an asset that exists.
CREATE TEMP TABLE asset_match ON COMMIT DROP AS
SELECT s.row_no, a.id AS pk, a.type_code, a.status, a.content_hash
FROM pg_temp.asset_staging s
JOIN registry.asset a ON a.asset_id = s.asset_id;

-- name: analyze_match
ANALYZE pg_temp.asset_match;

-- name: reject_other_types
INSERT INTO pg_temp.asset_reject (row_no, field, reason, asset_id)
SELECT s.row_no, %(id_field)s,
       'id ' || s.asset_id || ' belongs to an asset of type ' || m.type_code, s.asset_id
FROM pg_temp.asset_match m
JOIN pg_temp.asset_staging s USING (row_no)
WHERE m.type_code <> %(type)s;

-- name: mark_rejected
UPDATE pg_temp.asset_staging s SET ok = false
WHERE s.row_no IN (SELECT row_no FROM pg_temp.asset_reject);

-- name: create_new
WITH created AS (
    INSERT INTO registry.asset (asset_id, type_code, geom, attributes, external_ids, status)
    SELECT s.asset_id, %(type)s, s.geom, s.attributes, s.external_ids, 'active'
    FROM pg_temp.asset_staging s
    WHERE s.ok AND NOT EXISTS (SELECT 1 FROM pg_temp.asset_match m WHERE m.row_no = s.row_no)
    RETURNING id, geom, status, attributes, external_ids
), written AS (
INSERT INTO registry.asset_history (asset_pk, actor, kind, old, new)
SELECT c.id, %(actor)s, 'created', NULL,
       jsonb_build_object('geometry', ST_AsGeoJSON(c.geom)::jsonb, 'status', c.status,
                          'attributes', c.attributes, 'external_ids', c.external_ids,
                          'condition_score', NULL, 'condition_date', NULL)
FROM created c
RETURNING kind
)
SELECT count(*) FILTER (WHERE kind = 'created') AS created FROM written;

-- name: update_changed
-- Changed content (by content hash), or a retired asset back in the file (restored to active).
-- The history row holds only what changed: the geometry when its bytes differ, and the
-- attribute and external id keys whose values differ (null on the side that lacks the key).
WITH current AS (
    SELECT a.id, a.status, a.geom, a.attributes, a.external_ids,
           s.geom AS new_geom, s.attributes AS new_attributes,
           s.external_ids AS new_external_ids
    FROM pg_temp.asset_match m
    JOIN pg_temp.asset_staging s USING (row_no)
    JOIN registry.asset a ON a.id = m.pk
    WHERE s.ok AND m.type_code = %(type)s
      AND (m.status = 'retired'
           OR m.content_hash <> registry.asset_content_hash(s.geom, s.attributes,
                                                            s.external_ids))
    FOR UPDATE OF a
), changed AS (
    UPDATE registry.asset a
    SET geom = c.new_geom, attributes = c.new_attributes, external_ids = c.new_external_ids,
        status = CASE WHEN c.status = 'retired' THEN 'active' ELSE c.status END,
        updated_at = now()
    FROM current c
    WHERE a.id = c.id
    RETURNING a.id
), diff AS (
    SELECT c.id, c.status,
           ST_AsEWKB(c.geom) <> ST_AsEWKB(c.new_geom) AS geom_changed,
           (SELECT array_agg(k ORDER BY k) FROM (
                SELECT jsonb_object_keys(c.attributes)
                UNION SELECT jsonb_object_keys(c.new_attributes)) u(k)
            WHERE c.attributes -> k IS DISTINCT FROM c.new_attributes -> k) AS attr_keys,
           (SELECT array_agg(k ORDER BY k) FROM (
                SELECT jsonb_object_keys(c.external_ids)
                UNION SELECT jsonb_object_keys(c.new_external_ids)) u(k)
            WHERE c.external_ids -> k IS DISTINCT FROM c.new_external_ids -> k) AS ext_keys,
           c.geom, c.new_geom, c.attributes, c.new_attributes, c.external_ids,
           c.new_external_ids
    FROM current c
), written AS (
INSERT INTO registry.asset_history (asset_pk, actor, kind, old, new)
SELECT d.id, %(actor)s,
       CASE WHEN d.status = 'retired' THEN 'restored' ELSE 'updated' END,
       CASE WHEN d.geom_changed
            THEN jsonb_build_object('geometry', ST_AsGeoJSON(d.geom)::jsonb) ELSE '{}' END
       || CASE WHEN d.status = 'retired' THEN '{"status": "retired"}' ELSE '{}' END::jsonb
       || CASE WHEN d.attr_keys IS NOT NULL THEN jsonb_build_object('attributes',
              (SELECT jsonb_object_agg(k, d.attributes -> k) FROM unnest(d.attr_keys) k))
          ELSE '{}' END
       || CASE WHEN d.ext_keys IS NOT NULL THEN jsonb_build_object('external_ids',
              (SELECT jsonb_object_agg(k, d.external_ids -> k) FROM unnest(d.ext_keys) k))
          ELSE '{}' END,
       CASE WHEN d.geom_changed
            THEN jsonb_build_object('geometry', ST_AsGeoJSON(d.new_geom)::jsonb) ELSE '{}' END
       || CASE WHEN d.status = 'retired' THEN '{"status": "active"}' ELSE '{}' END::jsonb
       || CASE WHEN d.attr_keys IS NOT NULL THEN jsonb_build_object('attributes',
              (SELECT jsonb_object_agg(k, d.new_attributes -> k) FROM unnest(d.attr_keys) k))
          ELSE '{}' END
       || CASE WHEN d.ext_keys IS NOT NULL THEN jsonb_build_object('external_ids',
              (SELECT jsonb_object_agg(k, d.new_external_ids -> k) FROM unnest(d.ext_keys) k))
          ELSE '{}' END
FROM diff d
WHERE EXISTS (SELECT 1 FROM changed x WHERE x.id = d.id)
RETURNING kind
)
SELECT count(*) FILTER (WHERE kind = 'updated') AS updated,
       count(*) FILTER (WHERE kind = 'restored') AS restored
FROM written;

-- name: retire_missing
WITH gone AS (
    SELECT a.id, a.status
    FROM registry.asset a
    WHERE a.type_code = %(type)s AND a.status <> 'retired'
      AND NOT EXISTS (SELECT 1 FROM pg_temp.asset_staging s WHERE s.asset_id = a.asset_id)
    FOR UPDATE
), retired AS (
    UPDATE registry.asset a SET status = 'retired', updated_at = now()
    FROM gone g WHERE a.id = g.id
    RETURNING a.id
), written AS (
INSERT INTO registry.asset_history (asset_pk, actor, kind, old, new)
SELECT g.id, %(actor)s, 'retired', jsonb_build_object('status', g.status),
       '{"status": "retired"}'::jsonb
FROM gone g
WHERE EXISTS (SELECT 1 FROM retired r WHERE r.id = g.id)
RETURNING kind
)
SELECT count(*) AS retired FROM written;
