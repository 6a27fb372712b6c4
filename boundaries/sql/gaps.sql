-- Holes in the union of a version's districts: ground the layer surrounds but assigns to no
-- district. Ground outside the union (water, the next town) is not a gap. Areas in m² on the
-- spheroid; the point lies inside the gap, to find it on a map.
WITH covered AS (
    SELECT (ST_Dump(ST_Union(geom))).geom AS shell
    FROM boundaries.feature
    WHERE version_id = %(version_id)s
),
holes AS (
    SELECT ST_MakePolygon(ST_InteriorRingN(shell, n)) AS hole
    FROM covered
    CROSS JOIN LATERAL generate_series(1, ST_NumInteriorRings(shell)) AS n
)
SELECT ST_Area(hole::geography) AS area_m2,
       ST_X(ST_PointOnSurface(hole)) AS lon,
       ST_Y(ST_PointOnSurface(hole)) AS lat
FROM holes
ORDER BY area_m2 DESC
