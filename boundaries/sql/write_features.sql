-- One district per code. Features sharing a code are unioned (collecting them would make an
-- invalid MultiPolygon wherever two of them share an edge); a lone feature keeps its vertices.
-- Name, properties and office contact come from the first source feature that has them.
INSERT INTO boundaries.feature
    (version_id, code, name, geom, properties, office_name, office_email)
SELECT %(version_id)s,
       code,
       coalesce(name, %(default_name)s || ' ' || code),
       CASE
           WHEN cardinality(geoms) = 1 THEN ST_Multi(geoms[1])
           ELSE ST_Multi(ST_CollectionExtract(ST_Union(geoms), 3))
       END,
       properties,
       office_name,
       office_email
FROM (
    SELECT code,
           (array_agg(name ORDER BY idx) FILTER (WHERE name IS NOT NULL))[1] AS name,
           (array_agg(properties ORDER BY idx))[1] AS properties,
           (array_agg(office_name ORDER BY idx) FILTER (WHERE office_name IS NOT NULL))[1]
               AS office_name,
           (array_agg(office_email ORDER BY idx) FILTER (WHERE office_email IS NOT NULL))[1]
               AS office_email,
           array_agg(geom ORDER BY idx) AS geoms
    FROM pg_temp.boundary_source
    GROUP BY code
) AS district
ORDER BY code COLLATE "C"
