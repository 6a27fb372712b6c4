-- The version of a layer in force at a time (versions of one layer never overlap).
SELECT id, layer_id, label, valid_from, valid_to, source_name, source_sha256, feature_count,
       imported_at
FROM boundaries.version
WHERE layer_id = %(layer_id)s
  AND period @> coalesce(%(at)s::timestamptz, now())
