-- The districts containing a point at a time, as {"<layer>": {"feature_id", "code",
-- "version_id"}}, by the rule of boundaries.assign_point (one probe over every layer).
CREATE OR REPLACE FUNCTION registry.districts_at(
    p_lon double precision, p_lat double precision, p_at timestamptz
) RETURNS jsonb
-- plpgsql so the query (with assign_point inlined) is planned once per session, not per call.
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
BEGIN
RETURN (
    SELECT COALESCE(jsonb_object_agg(a.layer, jsonb_build_object(
               'feature_id', a.feature_id, 'code', a.code, 'version_id', a.version_id)),
           '{}'::jsonb)
    FROM boundaries.assign_point(p_lon, p_lat, p_at) AS a);
END
$fn$;
