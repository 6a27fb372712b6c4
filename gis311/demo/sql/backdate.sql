-- Put the simulated times on the history the pipeline wrote for the demo's cases (those of the
-- demo's client); pg_temp.demo_change holds (case number, n, time of its n-th status change).
-- Statements are separated by a line holding only ";".

-- A report's own `created` event happened when it was reported...
UPDATE registry.case_event e SET at = c.requested_at
FROM registry.service_case c
WHERE c.id = e.case_id AND c.client = %(client)s AND e.kind = 'created'
;
-- ...and so did the `duplicate_added` event it wrote on its parent.
UPDATE registry.case_event e SET at = d.requested_at
FROM registry.service_case d
WHERE d.client = %(client)s AND d.parent_id IS NOT NULL
  AND e.case_id = d.parent_id AND e.kind = 'duplicate_added' AND e.data ->> 'duplicate' = d.number
;
-- The n-th status change of a case happened at the n-th time recorded for it.
UPDATE registry.case_event e SET at = t.at
FROM (
    SELECT x.id, c.number, row_number() OVER (PARTITION BY x.case_id ORDER BY x.id) AS ordinal
    FROM registry.case_event x
    JOIN registry.service_case c ON c.id = x.case_id
    WHERE c.client = %(client)s AND x.kind = 'status_changed'
) s
JOIN pg_temp.demo_change t ON t.number = s.number AND t.ordinal = s.ordinal
WHERE e.id = s.id
;
-- A repeat report is closed as it is filed; another closed case at its last status change.
UPDATE registry.service_case c SET
    closed_at = CASE
        WHEN c.parent_id IS NOT NULL THEN c.requested_at
        WHEN c.status = 'closed' THEN (
            SELECT max(e.at) FROM registry.case_event e
            WHERE e.case_id = c.id AND e.kind = 'status_changed')
    END,
    updated_at = GREATEST(c.requested_at, (
        SELECT max(e.at) FROM registry.case_event e WHERE e.case_id = c.id))
WHERE c.client = %(client)s
