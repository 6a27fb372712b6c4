-- A house number on a street -> a point, from the street segments of the registry: line assets
-- whose attributes hold the street's name and the address ranges of its two sides (the catalog's
-- road_segment: street, left_from, left_to, right_from, right_to; the raw Cambridge centerline
-- fields Street, Street_Name + Street_Type, L_From, L_To, R_From, R_To are read too).
--
-- The stored name is normalised like registry/geocode.py normalises the input: lower case,
-- punctuation to spaces, the last word through the suffix table (street -> st). Of the sides
-- whose range holds the number, one with the number's parity wins (odd and even numbers sit on
-- opposite sides), then the narrowest range. The point is interpolated along the segment from
-- the range's first number to its last, in the segment's digitised direction (the direction the
-- ranges are written in). Parameters: street (normalised), n (house number), suffixes (jsonb).
WITH seg AS (
    SELECT a.asset_id, a.geom, a.attributes AS at
    FROM registry.asset a
    JOIN registry.asset_type t ON t.code = a.type_code
    WHERE t.geometry_kind = 'line' AND a.status = 'active'
),
named AS (
    SELECT s.asset_id, s.geom, s.at,
           lower(btrim(regexp_replace(COALESCE(
               s.at ->> 'street', s.at ->> 'Street',
               NULLIF(concat_ws(' ', s.at ->> 'street_name', s.at ->> 'street_type'), ''),
               NULLIF(concat_ws(' ', s.at ->> 'Street_Name', s.at ->> 'Street_Type'), ''),
               s.at ->> 'label', s.at ->> 'Label', ''), '[^[:alnum:]]+', ' ', 'g'))) AS raw
    FROM seg s
),
normal AS (
    SELECT n.asset_id, n.geom, n.at,
           CASE WHEN n.raw ~ ' '
                THEN regexp_replace(n.raw, '\S+$', '')
                     || COALESCE(%(suffixes)s::jsonb ->> substring(n.raw FROM '\S+$'),
                                 substring(n.raw FROM '\S+$'))
                ELSE n.raw END AS street
    FROM named n
),
sides AS (
    SELECT n.asset_id, n.geom, r.f, r.t
    FROM normal n
    CROSS JOIN LATERAL (VALUES
        (COALESCE(n.at ->> 'left_from', n.at ->> 'L_From'),
         COALESCE(n.at ->> 'left_to', n.at ->> 'L_To')),
        (COALESCE(n.at ->> 'right_from', n.at ->> 'R_From'),
         COALESCE(n.at ->> 'right_to', n.at ->> 'R_To'))
    ) AS v(f_text, t_text)
    CROSS JOIN LATERAL (SELECT
        CASE WHEN v.f_text ~ '^\s*[0-9]{1,9}(\.0*)?\s*$' THEN v.f_text::numeric::integer END AS f,
        CASE WHEN v.t_text ~ '^\s*[0-9]{1,9}(\.0*)?\s*$' THEN v.t_text::numeric::integer END AS t
    ) AS r
    WHERE n.street = %(street)s
),
best AS (
    SELECT s.asset_id, s.geom, s.f, s.t
    FROM sides s
    WHERE s.f IS NOT NULL AND s.t IS NOT NULL AND NOT (s.f = 0 AND s.t = 0)
      AND %(n)s BETWEEN least(s.f, s.t) AND greatest(s.f, s.t)
    ORDER BY (mod(s.f, 2) = mod(%(n)s, 2)) DESC, abs(s.t - s.f), s.asset_id
    LIMIT 1
),
line AS (
    SELECT b.asset_id, b.f, b.t, ST_LineMerge(ST_Multi(b.geom)) AS merged
    FROM best b
)
SELECT l.asset_id,
       ST_X(p.pt) AS lon,
       ST_Y(p.pt) AS lat
FROM line l
CROSS JOIN LATERAL (SELECT ST_LineInterpolatePoint(
    CASE WHEN GeometryType(l.merged) = 'LINESTRING' THEN l.merged
         ELSE ST_GeometryN(l.merged, 1) END,
    CASE WHEN l.t = l.f THEN 0.5
         ELSE greatest(0.0, least(1.0, (%(n)s - l.f)::float8 / (l.t - l.f))) END) AS pt
) AS p
