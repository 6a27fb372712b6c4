"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from gis311 import __version__, errors
from gis311.api import (
    asset_types,
    assets,
    boundaries,
    cases,
    deliveries,
    health,
    subscriptions,
    tiles,
)
from gis311.api import map as map_page
from gis311.api import me as me_api
from gis311.api import media as media_api
from gis311.db import database_url, open_pool
from gis311.deps import Database
from gis311.middleware import BodyLimitMiddleware
from gis311.open311 import router as open311_router
from gis311.open311.routes import PREFIX as OPEN311
from gis311.routing import StrictJSONRoute
from gis311.settings import Settings


class App(FastAPI):
    """The service's FastAPI app; well-formed tile requests skip its middleware and routing."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/tiles/"):
            scope["app"] = self
            if await tiles.serve_fast(self, scope, receive, send):
                return
        await super().__call__(scope, receive, send)


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
        app.state.database = Database(pool)
        await tiles.start(app, settings, database_url(settings))
        try:
            yield
        finally:
            await tiles.stop(app)
            pool.close()

    app = App(
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
    # A report may carry a photo: its POST takes the photo's cap plus room for the fields.
    photo_post = settings.media_max_bytes + 64 * 1024
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
        larger={f"{OPEN311}/requests{ext}": photo_post for ext in ("", ".json", ".xml")},
    )
    app.include_router(health.router)
    app.include_router(asset_types.router)
    app.include_router(assets.router)
    app.include_router(boundaries.router)
    app.include_router(cases.router)
    app.include_router(subscriptions.router)
    app.include_router(deliveries.router)
    app.include_router(tiles.router)
    app.include_router(open311_router)
    app.include_router(media_api.router)
    app.include_router(me_api.router)
    app.include_router(map_page.router)
    return app
