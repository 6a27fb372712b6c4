-- Tile source of one boundary layer (`boundaries/{layer}`); the `at` filter picks the version.
(SELECT f.id, f.geom_3857, f.code, f.name, v.label AS version, v.period
 FROM boundaries.feature f
 JOIN boundaries.version v ON v.id = f.version_id
 JOIN boundaries.layer l ON l.id = v.layer_id
 WHERE l.code = %(layer)s)
