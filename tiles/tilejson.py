"""TileJSON 3.0.0 documents for tile layers."""

from __future__ import annotations

from typing import Any

from tiles.layers import LayerSpec


def tilejson(
    spec: LayerSpec,
    tiles_url: str,
    *,
    bounds: tuple[float, float, float, float] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The TileJSON for ``spec``; ``tiles_url`` is the ``{z}/{x}/{y}`` URL template."""
    west, south, east, north = bounds or (-180.0, -85.0511, 180.0, 85.0511)
    center_zoom = max(spec.minzoom, min(spec.maxzoom, 12))
    fields = dict(spec.properties)
    if spec.cluster_maxzoom is not None:
        fields["count"] = (
            f"Number: points in a cluster (up to z{spec.cluster_maxzoom}); a cluster of one "
            "also carries the point's other fields"
        )
    return {
        "tilejson": "3.0.0",
        "name": name or spec.name,
        "description": spec.description,
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": spec.minzoom,
        "maxzoom": spec.maxzoom,
        "bounds": [west, south, east, north],
        "center": [(west + east) / 2, (south + north) / 2, center_zoom],
        "vector_layers": [
            {
                "id": spec.name,
                "description": spec.description,
                "minzoom": spec.minzoom,
                "maxzoom": spec.maxzoom,
                "fields": fields,
            }
        ],
    }
