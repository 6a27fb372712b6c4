"""Errors of the boundaries package; ``gis311.errors`` maps each class to an HTTP status."""

from __future__ import annotations


class BoundaryError(Exception):
    """Base class of every error this package raises."""


class NotFound(BoundaryError):
    """A layer, a version valid at a time, or a district that does not exist."""


class InvalidInput(BoundaryError):
    """A value the caller passed cannot be used (a layer code, a kind, a period, a point)."""


class InvalidFeature(InvalidInput):
    """One source feature is unusable; names its 0-based index in the file and the field.

    Importers turn it into their own file error, which adds the file name.
    """

    def __init__(self, index: int, field: str, reason: str) -> None:
        self.index = index
        self.field = field
        self.reason = reason
        super().__init__(f"feature {index}, field {field!r}: {reason}")


class Conflict(BoundaryError):
    """The change contradicts what is stored (overlapping validity periods, another kind)."""
