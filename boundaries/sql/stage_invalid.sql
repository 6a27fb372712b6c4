-- Invalid source polygons, what is wrong with each, and what ST_MakeValid makes of them:
-- ``polygonal`` is false when nothing with area is left (a ring collapsed to a line), and
-- ``dropped`` counts the zero-area pieces (lines, points) the repair would leave behind.
SELECT idx,
       code,
       reason,
       NOT ST_IsEmpty(ST_CollectionExtract(fixed, 3)) AS polygonal,
       ST_NumGeometries(fixed) - ST_NumGeometries(ST_CollectionExtract(fixed, 3)) AS dropped
FROM (
    SELECT idx, code, ST_IsValidReason(geom) AS reason, ST_MakeValid(geom) AS fixed
    FROM pg_temp.boundary_source
    WHERE NOT ST_IsValid(geom)
) AS bad
ORDER BY idx
