-- Fan-out: outbox events -> one delivery per matching subscription. Both statements run in
-- one transaction, so an event is marked exactly when its deliveries exist.

-- name: take_events
-- The oldest events nobody fanned out yet; SKIP LOCKED lets two workers take disjoint batches.
UPDATE registry.outbox o SET fanned_out_at = now()
WHERE o.id IN (
    SELECT x.id FROM registry.outbox x
    WHERE x.fanned_out_at IS NULL
    ORDER BY x.id
    LIMIT %(batch)s
    FOR NO KEY UPDATE SKIP LOCKED
)
RETURNING o.id;

-- name: insert_deliveries
-- A subscription matches an event when the case was filed in its district (registry.case_district
-- holds the districts at filing), its service filter lets the case's service through, and it
-- existed when the event happened. The case document is taken once per event, here, so every
-- retry sends the same body. Digests wait for the end of their hour or day in the configured
-- zone (computed on local time, so a day is a day across DST changes).
WITH events AS (
    SELECT o.id, o.topic, o.case_id, o.payload, o.created_at, c.service_code
    FROM registry.outbox o
    JOIN registry.service_case c ON c.id = o.case_id
    WHERE o.id = ANY(%(ids)s)
), matched AS (
    SELECT e.id, e.topic, e.case_id, e.payload, e.created_at, s.id AS subscription_id, s.digest
    FROM events e
    JOIN registry.case_district d ON d.case_id = e.case_id
    JOIN gis311.subscription s
      ON s.active AND s.layer = d.layer AND s.code = d.code
     AND (s.service_codes IS NULL OR e.service_code = ANY (s.service_codes))
     AND s.created_at <= e.created_at
), docs AS MATERIALIZED (
    -- MATERIALIZED: inlined, every docs.j below would call case_json again.
    SELECT e.id, registry.case_json(e.case_id) AS j
    FROM events e
    WHERE e.id IN (SELECT m.id FROM matched m)
)
INSERT INTO gis311.delivery (subscription_id, outbox_id, event, body, digest_period,
                             next_attempt_at)
SELECT m.subscription_id, m.id, m.topic,
       jsonb_build_object(
           'event', m.topic,
           'occurred_at', m.created_at,
           'change', m.payload - 'number',
           'case', jsonb_build_object(
               'number', docs.j -> 'number',
               'service_code', docs.j -> 'service_code',
               'service_name', docs.j -> 'service_name',
               'status', docs.j -> 'status',
               'closure_reason', docs.j -> 'closure_reason',
               'requested_at', docs.j -> 'requested_at',
               'address', docs.j -> 'address',
               'lat', docs.j -> 'lat',
               'lon', docs.j -> 'lon',
               'districts', docs.j -> 'districts',
               'asset', docs.j -> 'asset',
               'parent', docs.j -> 'parent',
               'url', %(case_url)s || (docs.j ->> 'number'))),
       p.period,
       COALESCE(p.period, now())
FROM matched m
JOIN docs ON docs.id = m.id
CROSS JOIN LATERAL (
    SELECT CASE m.digest
        WHEN 'hourly' THEN date_trunc('hour', m.created_at, %(tz)s) + interval '1 hour'
        WHEN 'daily' THEN ((date_trunc('day', m.created_at, %(tz)s) AT TIME ZONE %(tz)s)
                           + interval '1 day') AT TIME ZONE %(tz)s
    END AS period
) p
ORDER BY m.id, m.subscription_id
ON CONFLICT (subscription_id, outbox_id) DO NOTHING;
