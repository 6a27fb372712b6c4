-- One MVT layer for one tile. Filled in by tiles/mvt.py with quoted identifiers and the spec's
-- trusted SQL; every request value is a bound parameter, so one prepared statement serves
-- every tile of a layer.
--
-- The && test uses the tile envelope widened by the buffer (margin = buffer/extent), so points
-- and line ends just outside the tile still reach it and symbols at tile edges are not cut; it
-- runs against the stored EPSG:3857 column, so the GiST index applies and no row is
-- reprojected.
SELECT ST_AsMVT(q, {layer_name}, {extent}, 'geom', 'id')
FROM (
    SELECT t.{id_column}::bigint AS id,
           ST_AsMVTGeom(t.{geom_column}, ST_TileEnvelope(%(z)s, %(x)s, %(y)s),
                        {extent}, {buffer}, true) AS geom
           {properties}
    FROM {source} AS t
    WHERE t.{geom_column} && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {margin})
          {filters}
    LIMIT {feature_limit}
) AS q
WHERE q.geom IS NOT NULL
