"""Errors of the tile package."""

from __future__ import annotations


class TileError(Exception):
    """Base of the tile package's errors."""


class InvalidTile(TileError):
    """z/x/y outside the tile pyramid, or a filter value that cannot be read."""


class UnknownLayer(TileError):
    """No tile layer of that name."""
