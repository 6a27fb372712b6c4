-- Service requests as GeoReport v2 shows them: public fields only. Reporter contact
-- (registry.case_contact) is never read here, nor internal notes, nor who wrote an event.
-- A psycopg.sql template: gis311/open311/queries.py composes the conditions (each combination
-- planned for what it is, so the requested_at and GiST indexes are used) and the extension
-- columns (districts and notes, read only with extensions=true). Newest first, then by id, so
-- pages are stable while nothing changes.
SELECT c.number,
       c.status,
       c.closure_reason,
       c.service_code,
       s.name AS service_name,
       c.description,
       c.requested_at,
       c.updated_at,
       c.expected_at,
       c.address,
       ST_Y(c.geom) AS lat,
       ST_X(c.geom) AS lon,
       c.media_urls,
       c.channel,
       p.number AS parent_number,
       a.asset_id,
       (SELECT t.department FROM registry.asset_type t
         WHERE t.code = COALESCE(a.type_code, s.asset_types[1])) AS agency,
       (SELECT e.note FROM registry.case_event e
         WHERE e.case_id = c.id AND NOT e.internal AND e.note IS NOT NULL
           AND e.kind IN ('note', 'status_changed')
         ORDER BY e.id DESC LIMIT 1) AS last_note,
       {extensions}
FROM registry.service_case c
JOIN registry.service s ON s.code = c.service_code
LEFT JOIN registry.asset a ON a.id = c.asset_pk
LEFT JOIN registry.service_case p ON p.id = c.parent_id
WHERE {conditions}
ORDER BY c.requested_at DESC, c.id DESC
LIMIT %(limit)s OFFSET %(offset)s
