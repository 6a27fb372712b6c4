-- One poll of the change log, in one snapshot. Returns, on every row, the highest visible seq
-- and the transactions still running (their log rows are not visible yet), then the log rows
-- that became visible since the previous poll: those past its highest seq, and those of the
-- transactions that were running at it (%(running)s). A row written later than the previous
-- poll always has a higher seq than any row visible then, so nothing slips between the two.
-- The first poll only learns where the log stands.
SELECT (SELECT max(seq) FROM tiles.change) AS visible_max,
       ARRAY(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) AS x) AS running,
       c.seq, c.layer, c.boxes
FROM (SELECT 1) AS one
LEFT JOIN tiles.change AS c
       ON NOT %(first)s
      AND (c.seq > %(after)s OR c.xid = ANY (%(running)s::text[]::xid8[]))
ORDER BY c.seq
