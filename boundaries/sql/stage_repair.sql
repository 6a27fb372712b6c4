-- Keep the polygonal part of the repaired geometry (its dropped pieces have no area).
UPDATE pg_temp.boundary_source
SET geom = ST_CollectionExtract(ST_MakeValid(geom), 3)
WHERE NOT ST_IsValid(geom)
