-- The active services, as GET services and a service definition show them (a psycopg.sql
-- template: the route adds its condition in place of the braces).
SELECT s.code, s.name, s.description, s."group", s.keywords, s.asset_types, s.attributes,
       s.updated_at
FROM registry.service s
WHERE s.active AND {condition}
ORDER BY s."group", s.name, s.code
