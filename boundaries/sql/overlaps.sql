-- Pairs of districts of one version whose interiors intersect, with the shared area in m²
-- (on the spheroid, so the figure is right at any latitude).
SELECT a.code AS code_a,
       b.code AS code_b,
       ST_Area(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3)::geography) AS area_m2
FROM boundaries.feature AS a
JOIN boundaries.feature AS b
  ON b.version_id = a.version_id
 AND a.code COLLATE "C" < b.code COLLATE "C"
 AND a.geom && b.geom
WHERE a.version_id = %(version_id)s
  AND ST_Relate(a.geom, b.geom, '2********')
ORDER BY area_m2 DESC, a.code COLLATE "C", b.code COLLATE "C"
