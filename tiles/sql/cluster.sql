-- Points aggregated into a grid of cells per tile side (low zooms). Each cell becomes one point
-- at the centroid of its members with their count, so a tile of a whole city holds at most
-- cells^2 features whatever the number of points; a cell holding a single point keeps that
-- point's properties, so a lone case can still be drawn and picked as itself. The
-- cell size is the `cell` parameter, in metres of EPSG:3857. The centroid is the mean of the
-- coordinates: cheaper than collecting the points into one geometry, which matters at a zoom
-- where a tile holds tens of thousands of them.
SELECT ST_AsMVT(q, {layer_name}, {extent}, 'geom', 'id')
FROM (
    SELECT min(t.{id_column})::bigint AS id,
           count(*)::integer AS count
           {singles},
           ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(avg(ST_X(t.{geom_column})),
                                                avg(ST_Y(t.{geom_column}))), 3857),
                        ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {extent}, {buffer}, true) AS geom
    FROM {source} AS t
    WHERE t.{geom_column} && ST_TileEnvelope(%(z)s, %(x)s, %(y)s)
          {filters}
    GROUP BY floor(ST_X(t.{geom_column}) / %(cell)s), floor(ST_Y(t.{geom_column}) / %(cell)s)
) AS q
WHERE q.geom IS NOT NULL
