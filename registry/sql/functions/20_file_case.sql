-- Case intake in one round trip and one transaction (the caller's): validate, assign districts,
-- link the asset, find the parent of a repeat report under an advisory lock, write the case, its
-- districts, history, contact and outbox event, and the idempotency record.
-- Changing the OUT columns needs the DROP below (CREATE OR REPLACE cannot change them).
--
-- Errors carry SQLSTATEs of class G3 that registry/intake.py maps to its exceptions:
--   G3001 unknown or inactive service       G3002 named asset unusable
--   G3003 attribute missing or invalid       G3004 outside the jurisdiction
--   G3009 idempotency key reused with another request
--   G3010 not at READ COMMITTED (the repeat-report lock would not see the winner's row)
DROP FUNCTION IF EXISTS registry.file_case(
    text, double precision, double precision, timestamptz, text, text, text, jsonb, text[], text,
    text, jsonb, text, text, text, text, text);
CREATE FUNCTION registry.file_case(
    p_service_code text,
    p_lon double precision,
    p_lat double precision,
    p_requested_at timestamptz,
    p_description text,
    p_address text,
    p_channel text,
    p_attributes jsonb,
    p_media_urls text[],
    p_language text,
    p_asset_id text,
    p_contact jsonb,
    p_client text,
    p_actor text,
    p_jurisdiction_layer text,
    p_idempotency_key text,
    p_request_hash text,
    OUT case_number text,
    OUT case_json text,
    OUT replayed boolean
)
LANGUAGE plpgsql AS $fn$
DECLARE
    svc registry.service%ROWTYPE;
    v_pt geometry := ST_SetSRID(ST_MakePoint(p_lon, p_lat), 4326);
    v_pt3857 geometry;
    v_districts jsonb;
    v_scope_feature bigint;
    v_asset_pk bigint;
    v_asset_dist double precision;
    a record;
    attr record;
    v_parent bigint;
    v_anchor bigint;
    v_r3857 double precision;
    v_cell double precision;
    v_lock_key bigint;
    v_case bigint;
    stored record;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = 'G3010',
            MESSAGE = 'case intake must run at READ COMMITTED';
    END IF;

    -- Idempotency first: a twin with the same key blocks here until the first transaction
    -- ends, then either replays its response or, if it rolled back, does the work itself.
    IF p_idempotency_key IS NOT NULL THEN
        INSERT INTO registry.intake_key (client, key, request_hash)
        VALUES (p_client, p_idempotency_key, p_request_hash)
        ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            SELECT k.request_hash, k.response, c.number INTO stored
            FROM registry.intake_key k LEFT JOIN registry.service_case c ON c.id = k.case_id
            WHERE k.client = p_client AND k.key = p_idempotency_key;
            IF stored.request_hash <> p_request_hash THEN
                RAISE EXCEPTION USING ERRCODE = 'G3009',
                    MESSAGE = 'Idempotency-Key was already used with a different request body';
            END IF;
            case_number := stored.number;
            case_json := stored.response;
            replayed := true;
            RETURN;
        END IF;
    END IF;

    SELECT * INTO svc FROM registry.service s WHERE s.code = p_service_code;
    IF NOT FOUND OR NOT svc.active THEN
        RAISE EXCEPTION USING ERRCODE = 'G3001',
            MESSAGE = format('unknown service_code %L', p_service_code);
    END IF;

    FOR attr IN
        SELECT d ->> 'code' AS code, d ->> 'datatype' AS datatype,
               COALESCE((d ->> 'required')::boolean, false) AS required,
               COALESCE((d ->> 'variable')::boolean, true) AS variable,
               d -> 'values' AS choices
        FROM jsonb_array_elements(svc.attributes) d
    LOOP
        IF attr.variable AND attr.required AND NOT (p_attributes ? attr.code) THEN
            RAISE EXCEPTION USING ERRCODE = 'G3003',
                MESSAGE = format('attribute %s is required by service %s', attr.code, svc.code);
        END IF;
        IF p_attributes ? attr.code AND attr.datatype IN ('singlevaluelist', 'multivaluelist')
           AND attr.choices IS NOT NULL THEN
            IF EXISTS (
                SELECT 1
                FROM jsonb_array_elements_text(CASE
                    WHEN jsonb_typeof(p_attributes -> attr.code) = 'array'
                    THEN p_attributes -> attr.code
                    ELSE jsonb_build_array(p_attributes -> attr.code) END) given(v)
                WHERE NOT EXISTS (
                    SELECT 1 FROM jsonb_array_elements(attr.choices) c WHERE c ->> 'key' = given.v)
            ) THEN
                RAISE EXCEPTION USING ERRCODE = 'G3003',
                    MESSAGE = format('attribute %s has a value that is not one of its choices',
                                     attr.code);
            END IF;
        END IF;
        IF p_attributes ? attr.code AND attr.datatype = 'number'
           AND jsonb_typeof(p_attributes -> attr.code) <> 'number'
           AND (p_attributes ->> attr.code) !~ '^-?[0-9]+(\.[0-9]+)?$' THEN
            RAISE EXCEPTION USING ERRCODE = 'G3003',
                MESSAGE = format('attribute %s must be a number', attr.code);
        END IF;
    END LOOP;

    -- Where: every boundary layer whose version is in force at the requested time.
    v_districts := registry.districts_at(p_lon, p_lat, p_requested_at);
    IF p_jurisdiction_layer IS NOT NULL AND NOT v_districts ? p_jurisdiction_layer THEN
        RAISE EXCEPTION USING ERRCODE = 'G3004',
            MESSAGE = format('location %s, %s is outside the jurisdiction (no %s contains it)',
                             p_lat, p_lon, p_jurisdiction_layer);
    END IF;

    -- What: the asset the client named, or the nearest active one the service attaches to.
    v_pt3857 := ST_Transform(v_pt, 3857);
    IF p_asset_id IS NOT NULL THEN
        SELECT x.id, x.status, x.type_code, t.snap_radius_m,
               ST_Distance(x.geom::geography, v_pt::geography) AS dist
          INTO a
          FROM registry.asset x JOIN registry.asset_type t ON t.code = x.type_code
         WHERE x.asset_id = p_asset_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'G3002',
                MESSAGE = format('asset %s does not exist', p_asset_id);
        ELSIF a.status <> 'active' THEN
            RAISE EXCEPTION USING ERRCODE = 'G3002',
                MESSAGE = format('asset %s is %s, not active', p_asset_id, a.status);
        ELSIF NOT (a.type_code = ANY (svc.asset_types)) THEN
            RAISE EXCEPTION USING ERRCODE = 'G3002',
                MESSAGE = format('asset %s is a %s; service %s takes %s', p_asset_id,
                                 a.type_code, svc.code, array_to_string(svc.asset_types, ', '));
        ELSIF a.dist > a.snap_radius_m THEN
            RAISE EXCEPTION USING ERRCODE = 'G3002',
                MESSAGE = format('asset %s is %s m from the reported location; at most %s m',
                                 p_asset_id, round(a.dist::numeric, 1), a.snap_radius_m);
        END IF;
        v_asset_pk := a.id;
        v_asset_dist := a.dist;
    ELSIF cardinality(svc.asset_types) > 0 THEN
        -- KNN on the 3857 index. A metre is 1/cos(lat) units there in every direction, so the
        -- order is right and distance x cos(lat) is the distance in metres to within a fraction
        -- of a percent: enough to rank the candidates and drop the far ones, so that the exact
        -- distance on the spheroid (costly for street segments) is computed for two of them.
        SELECT m.id, m.dist INTO v_asset_pk, v_asset_dist
        FROM (
            SELECT k.id, k.snap_radius_m,
                   ST_Distance(k.geom::geography, v_pt::geography) AS dist
            FROM (
                SELECT n.id, n.geom, n.snap_radius_m
                FROM (
                    SELECT x.id, x.geom, t.snap_radius_m,
                           ST_Distance(x.geom_3857, v_pt3857) * cos(radians(p_lat)) AS approx
                    FROM registry.asset x JOIN registry.asset_type t ON t.code = x.type_code
                    WHERE x.type_code = ANY (svc.asset_types) AND x.status = 'active'
                      AND ST_DWithin(x.geom_3857, v_pt3857, (
                            SELECT max(tt.snap_radius_m) FROM registry.asset_type tt
                            WHERE tt.code = ANY (svc.asset_types)) * 1.02 / cos(radians(p_lat)))
                    ORDER BY x.geom_3857 <-> v_pt3857
                    LIMIT 8
                ) n
                WHERE n.approx <= n.snap_radius_m * 1.01
                ORDER BY n.approx
                LIMIT 2
            ) k
        ) m
        WHERE m.dist <= m.snap_radius_m
        ORDER BY m.dist, m.id
        LIMIT 1;
    END IF;

    -- Again? Serialise every report that could share a parent, then look for it. Asset-based
    -- services lock the (service, asset) pair. Others lock every cell of a grid that the
    -- report's radius disc touches, in sorted order (no deadlocks): two reports within the
    -- radius of each other always share a cell, which locking only the report's own cell
    -- would not guarantee at cell borders. Cells are 4 radii wide in 3857 units, so a disc
    -- (r/cos(lat) units) touches at most 4 cells below 60 degrees of latitude. The radius is
    -- padded 2% for the gap between the spheroid and Web Mercator's sphere.
    IF svc.dedup_asset_based AND v_asset_pk IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(
            format('gis311:asset:%s:%s', svc.code, v_asset_pk), 0));
        SELECT c.id INTO v_parent
        FROM registry.service_case c
        WHERE c.dedup_asset_pk = v_asset_pk AND c.service_code = svc.code
          AND c.parent_id IS NULL AND c.status <> 'closed';
        IF v_parent IS NULL THEN
            v_anchor := v_asset_pk;
        END IF;
    ELSIF svc.dedup_radius_m IS NOT NULL THEN
        v_r3857 := svc.dedup_radius_m * 1.02 / cos(radians(p_lat));
        v_cell := 4 * svc.dedup_radius_m;
        FOR v_lock_key IN
            SELECT DISTINCT hashtextextended(format('gis311:cell:%s:%s:%s', svc.code, ix, iy), 0)
            FROM generate_series(floor((ST_X(v_pt3857) - v_r3857) / v_cell)::bigint,
                                 floor((ST_X(v_pt3857) + v_r3857) / v_cell)::bigint) ix,
                 generate_series(floor((ST_Y(v_pt3857) - v_r3857) / v_cell)::bigint,
                                 floor((ST_Y(v_pt3857) + v_r3857) / v_cell)::bigint) iy
            ORDER BY 1
        LOOP
            PERFORM pg_advisory_xact_lock(v_lock_key);
        END LOOP;
        IF svc.dedup_scope_layer IS NOT NULL THEN
            v_scope_feature := (v_districts -> svc.dedup_scope_layer ->> 'feature_id')::bigint;
        END IF;
        -- A fresh statement at READ COMMITTED: it sees every case committed by whoever held
        -- the lock before us.
        SELECT c.id INTO v_parent
        FROM registry.service_case c
        WHERE c.service_code = svc.code AND c.parent_id IS NULL AND c.status <> 'closed'
          AND ST_DWithin(c.geom_3857, v_pt3857, v_r3857)
          AND ST_DWithin(c.geom::geography, v_pt::geography, svc.dedup_radius_m)
          AND (svc.dedup_window IS NULL OR c.requested_at >= p_requested_at - svc.dedup_window)
          AND (svc.dedup_scope_layer IS NULL OR (
                CASE WHEN v_scope_feature IS NULL
                THEN NOT EXISTS (SELECT 1 FROM registry.case_district d
                                 WHERE d.case_id = c.id AND d.layer = svc.dedup_scope_layer)
                ELSE EXISTS (SELECT 1 FROM registry.case_district d
                             WHERE d.case_id = c.id AND d.layer = svc.dedup_scope_layer
                               AND d.feature_id = v_scope_feature) END))
        ORDER BY c.geom_3857 <-> v_pt3857, c.requested_at, c.id
        LIMIT 1;
    END IF;

    -- Keep.
    case_number := to_char(p_requested_at, 'YY') || '-'
                   || lpad(nextval('registry.case_number_seq')::text, 8, '0');
    INSERT INTO registry.service_case (
        number, service_code, description, address, channel, status, closure_reason,
        requested_at, updated_at, expected_at, closed_at, attributes, media_urls, language,
        asset_pk, asset_distance_m, parent_id, dedup_asset_pk, client, geom)
    VALUES (
        case_number, svc.code, COALESCE(p_description, ''), p_address, p_channel,
        CASE WHEN v_parent IS NULL THEN 'open' ELSE 'closed' END,
        CASE WHEN v_parent IS NULL THEN NULL ELSE 'duplicate' END,
        p_requested_at, now(),
        p_requested_at + make_interval(secs => svc.sla_hours * 3600),
        CASE WHEN v_parent IS NULL THEN NULL ELSE now() END,
        COALESCE(p_attributes, '{}'::jsonb), COALESCE(p_media_urls, '{}'), p_language,
        v_asset_pk, v_asset_dist, v_parent, v_anchor, p_client, v_pt)
    RETURNING id INTO v_case;

    INSERT INTO registry.case_district (case_id, layer, feature_id, code, version_id)
    SELECT v_case, d.key, (d.value ->> 'feature_id')::bigint, d.value ->> 'code',
           (d.value ->> 'version_id')::integer
    FROM jsonb_each(v_districts) d;

    INSERT INTO registry.case_event (case_id, actor, kind, note, data)
    VALUES (v_case, p_actor, 'created',
            CASE WHEN v_parent IS NULL THEN NULL
                 ELSE 'repeat report of ' || (SELECT number FROM registry.service_case
                                               WHERE id = v_parent) END,
            jsonb_build_object('channel', p_channel));

    IF v_parent IS NOT NULL THEN
        UPDATE registry.service_case
           SET duplicate_count = duplicate_count + 1, updated_at = now()
         WHERE id = v_parent;
        INSERT INTO registry.case_event (case_id, actor, kind, note, data)
        VALUES (v_parent, p_actor, 'duplicate_added', 'repeat report ' || case_number,
                jsonb_build_object('duplicate', case_number));
    END IF;

    IF p_contact IS NOT NULL AND p_contact <> '{}'::jsonb THEN
        INSERT INTO registry.case_contact (case_id, name, email, phone, device_id, account_id)
        VALUES (v_case, p_contact ->> 'name', p_contact ->> 'email', p_contact ->> 'phone',
                p_contact ->> 'device_id', p_contact ->> 'account_id');
    END IF;

    INSERT INTO registry.outbox (topic, case_id, payload)
    VALUES ('case.created', v_case, jsonb_build_object(
        'number', case_number, 'duplicate', v_parent IS NOT NULL));

    case_json := registry.case_json(v_case)::text;
    replayed := false;
    IF p_idempotency_key IS NOT NULL THEN
        UPDATE registry.intake_key SET case_id = v_case, response = case_json
         WHERE client = p_client AND key = p_idempotency_key;
    END IF;
END
$fn$;
