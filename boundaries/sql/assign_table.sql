-- Assign every point of the work table to every layer's district at the point's own time.
-- The loop runs over the parts (a few thousand) and probes the points' GiST index with each
-- part, so each part is prepared once for PostGIS's point-in-polygon test and reused for all
-- the points in its box; looping over a million points instead probes the parts' index a
-- million times. OFFSET 0 keeps the planner from flattening the subqueries into another
-- join order. The edge rule is assign_point's: the code first in C collation wins.
INSERT INTO {into} (point_id, layer, layer_id, version, version_id, feature_id, code)
SELECT DISTINCT ON (p.point_id, parts.layer_id)
       p.point_id,
       parts.layer,
       parts.layer_id,
       parts.version,
       parts.version_id,
       parts.feature_id,
       parts.code
FROM (
    SELECT fp.geom, fp.feature_id, f.code, v.id AS version_id, v.label AS version, v.period,
           l.id AS layer_id, l.code AS layer
    FROM boundaries.feature_part AS fp
    JOIN boundaries.feature AS f ON f.id = fp.feature_id
    JOIN boundaries.version AS v ON v.id = fp.version_id
    JOIN boundaries.layer AS l ON l.id = v.layer_id
    WHERE v.period && (SELECT tstzrange(min(at), max(at), '[]') FROM {work})
      AND (%(layers)s::text[] IS NULL OR l.code = ANY (%(layers)s::text[]))
    OFFSET 0
) AS parts
CROSS JOIN LATERAL (
    SELECT w.point_id
    FROM {work} AS w
    WHERE ST_Intersects(parts.geom, w.geom)
      AND parts.period @> w.at
    OFFSET 0
) AS p
ORDER BY p.point_id, parts.layer_id, parts.code COLLATE "C"
