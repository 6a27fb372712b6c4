"""Tile pyramid arithmetic."""

from __future__ import annotations

import pytest

from tiles.errors import InvalidTile
from tiles.grid import ORIGIN, check_tile, tile_bbox, tiles_covering


@pytest.mark.parametrize(
    ("z", "x", "y"), [(-1, 0, 0), (23, 0, 0), (0, 1, 0), (0, 0, 1), (3, 8, 0), (3, 0, -1)]
)
def test_tiles_outside_the_pyramid_are_refused(z: int, x: int, y: int) -> None:
    with pytest.raises(InvalidTile):
        check_tile(z, x, y)


def test_corner_tiles_exist() -> None:
    check_tile(0, 0, 0)
    check_tile(22, (1 << 22) - 1, (1 << 22) - 1)


def test_tile_bbox_of_the_world_and_a_quadrant() -> None:
    assert tile_bbox(0, 0, 0) == pytest.approx((-ORIGIN, -ORIGIN, ORIGIN, ORIGIN))
    assert tile_bbox(1, 0, 0) == pytest.approx((-ORIGIN, 0, 0, ORIGIN))


def test_a_point_is_covered_by_one_tile_and_by_its_neighbours_with_a_margin() -> None:
    minx, miny, maxx, maxy = tile_bbox(14, 4954, 6059)
    centre = ((minx + maxx) / 2, (miny + maxy) / 2)
    box = (*centre, *centre)
    assert list(tiles_covering(box, 14)) == [(4954, 6059)]
    edge = (maxx - 1.0, centre[1], maxx - 1.0, centre[1])
    assert set(tiles_covering(edge, 14, margin=64 / 4096)) == {(4954, 6059), (4955, 6059)}
