-- Where the demo's reports happen: each active asset inside the city (a district of the
-- jurisdiction layer in force now) as a point; a street segment gives the points a quarter, half
-- and three quarters along its first part. Ordered, so one seed always draws the same places.
WITH city AS (
    SELECT p.geom
    FROM boundaries.feature_part p
    JOIN boundaries.version v ON v.id = p.version_id
    JOIN boundaries.layer l ON l.id = v.layer_id
    WHERE l.code = %(layer)s AND v.period @> now()
),
spot AS (
    SELECT a.asset_id, a.type_code, s.pt,
           CASE a.type_code
               WHEN 'streetlight' THEN a.attributes ->> 'intersection'
               WHEN 'road_segment' THEN a.attributes ->> 'street'
               WHEN 'traffic_signal' THEN a.attributes ->> 'location'
           END AS label
    FROM registry.asset a
    CROSS JOIN LATERAL (
        SELECT a.geom AS pt WHERE GeometryType(a.geom) = 'POINT'
        UNION ALL
        SELECT ST_LineInterpolatePoint(
                   CASE WHEN GeometryType(a.geom) = 'LINESTRING' THEN a.geom
                        ELSE ST_GeometryN(a.geom, 1) END, f)
        FROM unnest(ARRAY[0.25, 0.5, 0.75]) f
        WHERE GeometryType(a.geom) IN ('LINESTRING', 'MULTILINESTRING')
    ) s
    WHERE a.status = 'active' AND a.type_code = ANY(%(types)s)
)
SELECT s.asset_id, s.type_code, ST_X(s.pt), ST_Y(s.pt), s.label
FROM spot s
WHERE EXISTS (SELECT 1 FROM city c WHERE ST_Intersects(c.geom, s.pt))
ORDER BY s.type_code, s.asset_id, ST_X(s.pt), ST_Y(s.pt)
