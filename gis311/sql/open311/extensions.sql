-- The extension columns of requests.sql (extensions=true): the code of each district the case
-- lies in, by boundary layer, and its public history (never internal notes or actors).
(SELECT jsonb_object_agg(d.layer, d.code ORDER BY d.layer)
   FROM registry.case_district d WHERE d.case_id = c.id) AS districts,
(SELECT jsonb_agg(jsonb_build_object('at', e.at, 'kind', e.kind, 'note', e.note) ORDER BY e.id)
   FROM registry.case_event e WHERE e.case_id = c.id AND NOT e.internal) AS notes
