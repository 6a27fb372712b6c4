"""Errors of the asset registry; ``gis311.errors.EXCEPTION_STATUS`` maps them to HTTP statuses."""

from __future__ import annotations


class RegistryError(Exception):
    """Base class of every error the registry raises."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(RegistryError, LookupError):
    """No asset, asset type or service has the code or id asked for."""


class InvalidInput(RegistryError, ValueError):
    """A value breaks the registry's rules (attribute schema, geometry kind, status, ...)."""


class Conflict(RegistryError):
    """The change clashes with what is stored (an asset id already taken, a type in use)."""


class CatalogError(InvalidInput):
    """The catalog file is malformed; ``where`` names the entry and key (``services[2].dedup``)."""

    def __init__(self, where: str, reason: str, *, path: str | None = None) -> None:
        self.where = where
        self.reason = reason
        self.path = path
        prefix = f"{path}: " if path else ""
        super().__init__(f"{prefix}{where}: {reason}")
