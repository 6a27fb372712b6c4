-- Claiming and completing deliveries. A claim leases a delivery by moving its next_attempt_at
-- one lease ahead (and counts the attempt): when a worker dies mid-send, the delivery falls due
-- again once the lease runs out and is sent again with the same delivery_id.

-- name: claim_immediate
WITH due AS (
    SELECT d.id FROM gis311.delivery d
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND d.digest_period IS NULL
    ORDER BY d.next_attempt_at, d.id
    LIMIT %(limit)s
    FOR NO KEY UPDATE SKIP LOCKED
)
UPDATE gis311.delivery d
SET next_attempt_at = now() + make_interval(secs => %(lease)s), attempts = d.attempts + 1
FROM due, gis311.subscription s
WHERE d.id = due.id AND s.id = d.subscription_id
RETURNING d.id, d.delivery_id, d.subscription_id, d.event, d.body, d.attempts,
          d.digest_period, s.layer, s.code, s.channel, s.url, s.email, s.secret, s.digest;

-- name: claim_digests
-- A digest is every due delivery of one subscription and period: lock the subscription (NO KEY
-- UPDATE: fan-out's foreign-key checks are not blocked) so one worker takes the whole group.
WITH subs AS (
    SELECT s.id FROM gis311.subscription s
    WHERE s.id IN (
        SELECT d.subscription_id FROM gis311.delivery d
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
          AND d.digest_period IS NOT NULL)
    ORDER BY s.id
    LIMIT %(limit)s
    FOR NO KEY UPDATE SKIP LOCKED
)
UPDATE gis311.delivery d
SET next_attempt_at = now() + make_interval(secs => %(lease)s), attempts = d.attempts + 1
FROM subs, gis311.subscription s
WHERE d.subscription_id = subs.id AND s.id = subs.id
  AND d.status = 'pending' AND d.next_attempt_at <= now() AND d.digest_period IS NOT NULL
RETURNING d.id, d.delivery_id, d.subscription_id, d.event, d.body, d.attempts,
          d.digest_period, s.layer, s.code, s.channel, s.url, s.email, s.secret, s.digest;

-- name: close_interrupted
UPDATE gis311.delivery_attempt
SET error = 'interrupted: the worker stopped before the answer was recorded'
WHERE delivery_pk = ANY(%(ids)s) AND finished_at IS NULL AND error IS NULL;

-- name: start_attempts
INSERT INTO gis311.delivery_attempt (delivery_pk)
SELECT unnest(%(ids)s::bigint[])
RETURNING id, delivery_pk;

-- name: finish_attempts
UPDATE gis311.delivery_attempt a
SET finished_at = now(), status_code = u.status_code, error = u.error,
    duration_ms = u.duration_ms
FROM unnest(%(attempt_ids)s::bigint[], %(status_codes)s::integer[], %(errors)s::text[],
            %(durations)s::integer[]) AS u(id, status_code, error, duration_ms)
WHERE a.id = u.id;

-- name: mark_delivered
UPDATE gis311.delivery d
SET status = 'delivered', delivered_at = now(), last_status_code = u.status_code,
    last_error = NULL
FROM unnest(%(ids)s::bigint[], %(status_codes)s::integer[]) AS u(id, status_code)
WHERE d.id = u.id;

-- name: mark_attempt_failed
-- Exponential backoff: base * 2^(attempts - 1), at most backoff_max (the exponent is clamped so
-- the power cannot overflow); failed once the attempts reach the cap.
UPDATE gis311.delivery d
SET last_status_code = u.status_code,
    last_error = u.error,
    status = CASE WHEN d.attempts >= %(max_attempts)s THEN 'failed' ELSE 'pending' END,
    next_attempt_at = CASE WHEN d.attempts >= %(max_attempts)s THEN d.next_attempt_at
        ELSE now() + make_interval(secs => least(
            %(backoff_base)s * power(2, least(d.attempts - 1, 60)), %(backoff_max)s)) END
FROM unnest(%(ids)s::bigint[], %(status_codes)s::integer[], %(errors)s::text[])
     AS u(id, status_code, error)
WHERE d.id = u.id AND d.status = 'pending';
