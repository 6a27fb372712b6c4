-- Districts of one version as GeoJSON Feature texts (RFC 7946), in code order; 7 decimals of
-- a degree are about 1 cm, finer than any boundary survey.
SELECT json_build_object(
           'type', 'Feature',
           'id', f.code,
           'geometry', ST_AsGeoJSON(f.geom, 7)::json,
           'properties', json_build_object(
               'layer', %(layer)s::text,
               'version', %(version)s::text,
               'code', f.code,
               'name', f.name,
               'office_name', f.office_name,
               'office_email', f.office_email,
               'source_properties', f.properties
           )
       )::text
FROM boundaries.feature AS f
WHERE f.version_id = %(version_id)s
  AND (%(code)s::text IS NULL OR f.code = %(code)s::text)
ORDER BY f.code COLLATE "C"
