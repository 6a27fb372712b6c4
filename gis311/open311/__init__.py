"""Open311 GeoReport v2 under ``/open311/v2``: discovery, services, requests, tokens in XML and
JSON, the extensions cities use (paging, ``updated_after``, ``extensions=true``)."""

from __future__ import annotations

from gis311.open311.routes import router

__all__ = ["router"]
