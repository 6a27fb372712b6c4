"""Errors of the notifications; ``gis311/errors.py`` maps them to HTTP statuses."""

from __future__ import annotations


class NotifyError(Exception):
    """Base class of the notification errors."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(NotifyError, LookupError):
    """No subscription or delivery has that id (or none the caller may see)."""


class InvalidInput(NotifyError, ValueError):
    """A subscription that cannot be made as asked."""


class Conflict(NotifyError):
    """The object is not in a state that allows the action (e.g. retrying a delivered one)."""
