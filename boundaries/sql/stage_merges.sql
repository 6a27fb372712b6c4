-- Codes shared by several source features: they become one district.
SELECT code, array_agg(idx ORDER BY idx) AS indexes
FROM pg_temp.boundary_source
GROUP BY code
HAVING count(*) > 1
ORDER BY code COLLATE "C"
