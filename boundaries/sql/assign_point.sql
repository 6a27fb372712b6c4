-- Every layer's district containing one point at one time: see
-- sql/functions/10_assign_point.sql for the rule (shared with case intake).
SELECT layer, code, name, version, feature_id, version_id, layer_kind, office_name, office_email
FROM boundaries.assign_point(%(lon)s, %(lat)s, coalesce(%(at)s::timestamptz, now()))
