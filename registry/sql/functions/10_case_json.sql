-- The JSON of a case as one kind of reader may see it (p_view):
--   public    public fields; history without internal notes and without who acted
--   internal  + internal notes and actors (councilors, crews, staff)
--   full      + the reporter's contact (staff of the owning department, admin)
-- p_detail adds the duplicates and the history (the single-case view).
DROP FUNCTION IF EXISTS registry.case_json(bigint, boolean);
CREATE OR REPLACE FUNCTION registry.case_json(
    p_case_id bigint, p_detail boolean DEFAULT false, p_view text DEFAULT 'public'
)
RETURNS jsonb
-- plpgsql, not sql: a SQL function called per row is planned again on every call (its plan
-- lives only as long as the calling statement); plpgsql keeps the plan for the session.
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $fn$
BEGIN
RETURN (SELECT jsonb_build_object(
    'number', c.number,
    'service_code', c.service_code,
    'service_name', s.name,
    'description', c.description,
    'address', c.address,
    'channel', c.channel,
    'status', c.status,
    'closure_reason', c.closure_reason,
    'requested_at', c.requested_at,
    'updated_at', c.updated_at,
    'expected_at', c.expected_at,
    'closed_at', c.closed_at,
    'lat', ST_Y(c.geom),
    'lon', ST_X(c.geom),
    'attributes', c.attributes,
    'media_urls', to_jsonb(c.media_urls),
    'language', c.language,
    'asset', CASE WHEN a.id IS NULL THEN NULL ELSE jsonb_build_object(
        'asset_id', a.asset_id, 'type', a.type_code,
        'distance_m', round(c.asset_distance_m::numeric, 2)) END,
    'districts', COALESCE((
        SELECT jsonb_object_agg(d.layer, jsonb_build_object(
            'code', d.code, 'name', f.name, 'version', v.label))
        FROM registry.case_district d
        JOIN boundaries.feature f ON f.id = d.feature_id
        JOIN boundaries.version v ON v.id = d.version_id
        WHERE d.case_id = c.id), '{}'::jsonb),
    'parent', p.number,
    'duplicate_count', c.duplicate_count
) || CASE WHEN NOT p_detail THEN '{}'::jsonb ELSE jsonb_build_object(
    'duplicates', COALESCE((
        SELECT jsonb_agg(k.number ORDER BY k.requested_at, k.id)
        FROM registry.service_case k WHERE k.parent_id = c.id), '[]'::jsonb),
    'history', COALESCE((
        SELECT jsonb_agg(jsonb_build_object(
            'at', e.at, 'kind', e.kind, 'note', e.note, 'data', e.data, 'internal', e.internal)
            || CASE WHEN p_view = 'public' THEN '{}'::jsonb
                    ELSE jsonb_build_object('actor', e.actor) END
            ORDER BY e.id)
        FROM registry.case_event e
        WHERE e.case_id = c.id AND (p_view <> 'public' OR NOT e.internal)), '[]'::jsonb)
) END || CASE WHEN p_view <> 'full' THEN '{}'::jsonb ELSE jsonb_build_object(
    'reporter', (SELECT jsonb_strip_nulls(jsonb_build_object(
                     'name', k.name, 'email', k.email, 'phone', k.phone,
                     'device_id', k.device_id, 'account_id', k.account_id))
                 FROM registry.case_contact k WHERE k.case_id = c.id)
) END
FROM registry.service_case c
JOIN registry.service s ON s.code = c.service_code
LEFT JOIN registry.asset a ON a.id = c.asset_pk
LEFT JOIN registry.service_case p ON p.id = c.parent_id
WHERE c.id = p_case_id);
END
$fn$;
