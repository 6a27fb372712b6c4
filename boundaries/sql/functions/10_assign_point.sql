-- Every layer's district containing one point, at one time, in one index probe: the GiST
-- index on the subdivided parts finds the few small pieces whose box holds the point, across
-- all layers and versions at once; the version filter keeps those in force at the time.
-- ST_Intersects counts a point on a district's edge as inside, so a point on an edge shared
-- by two districts matches both; DISTINCT ON keeps the one whose code sorts first in the C
-- collation (byte order: the same on every server, whatever its locale).
--
-- A database function so that boundaries.assign (Python) and case intake (SQL) share one rule.
-- LANGUAGE sql and STABLE: the planner inlines it into the calling query.
CREATE OR REPLACE FUNCTION boundaries.assign_point(
    p_lon double precision, p_lat double precision, p_at timestamptz
) RETURNS TABLE (
    layer text, code text, name text, version text, feature_id bigint, version_id integer,
    layer_kind text, office_name text, office_email text
)
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
SELECT DISTINCT ON (l.id)
       l.code, f.code, f.name, v.label, f.id, v.id, l.kind, f.office_name, f.office_email
FROM boundaries.feature_part AS fp
JOIN boundaries.version AS v ON v.id = fp.version_id
JOIN boundaries.layer AS l ON l.id = v.layer_id
JOIN boundaries.feature AS f ON f.id = fp.feature_id
WHERE ST_Intersects(fp.geom, ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4326))
  AND v.period @> p_at
ORDER BY l.id, f.code COLLATE "C"
$fn$;
