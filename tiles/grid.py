"""Web Mercator tile pyramid arithmetic (EPSG:3857, the XYZ scheme: y grows southward)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from tiles.errors import InvalidTile

MAX_ZOOM = 22
RADIUS = 6378137.0
# Half the width of the Web Mercator world in metres.
ORIGIN = math.pi * RADIUS
WORLD = 2 * ORIGIN

Bbox = tuple[float, float, float, float]


def to_3857(lon: float, lat: float) -> tuple[float, float]:
    """Web Mercator coordinates of a WGS84 point (spherical formulas, as EPSG:3857 defines)."""
    x = math.radians(lon) * RADIUS
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * RADIUS
    return x, y


def check_tile(z: int, x: int, y: int) -> None:
    """Raise ``InvalidTile`` unless 0 <= z <= 22 and x, y lie in 0 .. 2^z - 1."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidTile(f"zoom {z} is outside 0..{MAX_ZOOM}")
    last = (1 << z) - 1
    if not (0 <= x <= last and 0 <= y <= last):
        raise InvalidTile(f"tile {z}/{x}/{y} does not exist: x and y must lie in 0..{last}")


def tile_bbox(z: int, x: int, y: int) -> Bbox:
    """The tile's bounds in EPSG:3857 metres (minx, miny, maxx, maxy)."""
    size = WORLD / (1 << z)
    minx = -ORIGIN + x * size
    maxy = ORIGIN - y * size
    return (minx, maxy - size, minx + size, maxy)


def tiles_covering(bbox: Bbox, z: int, margin: float = 0.0) -> Iterator[tuple[int, int]]:
    """(x, y) of every tile at zoom ``z`` whose bounds widened by ``margin`` (a fraction of the
    tile size) intersect ``bbox`` (EPSG:3857)."""
    n = 1 << z
    size = WORLD / n
    pad = margin * size
    minx, miny, maxx, maxy = bbox
    x0 = max(0, int((minx - pad + ORIGIN) // size))
    x1 = min(n - 1, int((maxx + pad + ORIGIN) // size))
    y0 = max(0, int((ORIGIN - (maxy + pad)) // size))
    y1 = min(n - 1, int((ORIGIN - (miny - pad)) // size))
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield x, y
