-- The assets nearest to a point, nearest first, with exact distances in metres.
--
-- The inner query walks the GiST index of geom_3857 in KNN order, which in Web Mercator is the
-- ground order up to a few tenths of a percent (the scale 1/cos(lat) is the same in every
-- direction; the ellipsoid adds the rest). It takes more candidates than asked for, so assets
-- that near-tie across that margin are all present when the outer query re-sorts them by their
-- true distance on the WGS84 spheroid (geography) and applies the exact radius.
--
-- The optional type and radius conditions are composed in registry/nearest.py rather than
-- written as "parameter IS NULL OR ...", so each combination is planned for what it is and a
-- generic plan can never lose the index. (No percent signs or braces in these comments: the
-- file is a psycopg.sql template.)
SELECT *
FROM (
    SELECT {columns},
           ST_Distance(a.geom::geography,
                       ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS distance_m
    FROM registry.asset a
    WHERE a.status = ANY (%(statuses)s::text[]){filters}
    ORDER BY a.geom_3857 <-> ST_Transform(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), 3857)
    LIMIT %(candidates)s
) c
WHERE {radius_check}
ORDER BY c.distance_m, c.asset_id
LIMIT %(limit)s
