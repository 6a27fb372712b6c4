-- The first source feature whose geometry is missing, empty or not polygonal.
SELECT idx,
       CASE
           WHEN geom IS NULL THEN 'the feature has no geometry'
           WHEN ST_IsEmpty(geom) THEN 'the geometry is empty'
           ELSE 'the geometry is a ' || substr(ST_GeometryType(geom), 4)
                || ', not a Polygon or MultiPolygon'
       END AS reason
FROM pg_temp.boundary_source
WHERE geom IS NULL
   OR ST_IsEmpty(geom)
   OR GeometryType(geom) NOT IN ('POLYGON', 'MULTIPOLYGON')
ORDER BY idx
LIMIT 1
