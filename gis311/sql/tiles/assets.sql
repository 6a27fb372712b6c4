-- Tile source of the `assets` layer: public fields only.
(SELECT a.id, a.geom_3857, a.asset_id, a.type_code AS type, a.status
 FROM registry.asset a)
