-- The subdivided copy assignment runs against: each district cut into small pieces.
INSERT INTO boundaries.feature_part (feature_id, version_id, geom)
SELECT f.id, f.version_id, part.geom
FROM boundaries.feature AS f
CROSS JOIN LATERAL ST_Subdivide(f.geom, %(max_vertices)s) AS piece (geom)
-- A piece can come out as a MultiPolygon when the cut splits it; the column holds polygons.
CROSS JOIN LATERAL ST_Dump(piece.geom) AS part
WHERE f.version_id = %(version_id)s
