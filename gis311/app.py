"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gis311 import __version__, errors
from gis311.api import health
from gis311.db import database_url, open_pool
from gis311.middleware import BodyLimitMiddleware
from gis311.routing import StrictJSONRoute
from gis311.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ASGI app; the connection pool opens with the lifespan, not here."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = open_pool(
            database_url(settings),
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
        )
        app.state.pool = pool
        try:
            yield
        finally:
            pool.close()

    app = FastAPI(
        title="gis311",
        version=__version__,
        summary="Asset-registry GIS service for city 311 systems.",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.router.route_class = StrictJSONRoute
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    return app
