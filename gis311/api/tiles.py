"""``/tiles``: Mapbox Vector Tiles of assets, cases and boundary layers, TileJSON, a style.

Tile routes are ``async``: a cache hit never leaves the event loop, and a miss awaits one
prepared query on the tile pool (parallel query and JIT off). Responses carry a strong ETag
(304 on ``If-None-Match``), per-layer ``Cache-Control``, gzip when accepted, and 204 for an
empty tile.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from starlette.types import Receive, Scope, Send

from gis311 import access, auth, errors, keys, tilelayers
from gis311.deps import ConnDep
from gis311.routing import StrictJSONRoute
from gis311.settings import Settings
from tiles.cache import Tile, TileCache
from tiles.errors import UnknownLayer
from tiles.grid import to_3857
from tiles.layers import LayerSpec
from tiles.listener import ChangeFeed
from tiles.mvt import render_async, tile_query
from tiles.tilejson import tilejson

router = APIRouter(prefix="/tiles", tags=["tiles"], route_class=StrictJSONRoute)

MVT = "application/vnd.mapbox-vector-tile"
TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MVT: {}}, "description": "The tile (gzip when accepted)."},
    204: {"description": "No feature in this tile."},
    304: {"description": "Not modified (If-None-Match matched the ETag)."},
    400: {"description": "z/x/y outside the tile pyramid or a bad filter value."},
    404: {"description": "Unknown layer."},
}


async def _configure(conn: AsyncConnection) -> None:
    # A tile is a short indexed query: a parallel plan or JIT only adds start-up cost, and
    # with two cores a parallel worker takes the CPU the next tile needs.
    await conn.execute("SET max_parallel_workers_per_gather = 0")
    await conn.execute("SET jit = off")


async def start(app: FastAPI, settings: Settings, url: str) -> None:
    """Open the tile pool and cache, and start the change listener when caching."""
    # Autocommit: a tile is one read-only statement, and a transaction around it would cost a
    # BEGIN and a COMMIT round trip per tile.
    pool = AsyncConnectionPool(
        url, min_size=1, max_size=settings.tile_pool_max_size, configure=_configure,
        kwargs={"autocommit": True}, open=False, name="gis311-tiles",
    )
    await pool.open(wait=True, timeout=30)
    cache = TileCache(settings.tile_cache_mb * 1024 * 1024, settings.tile_cache_max_stale)
    feed = ChangeFeed(url, cache)
    app.state.tile_pool = pool
    app.state.tile_cache = cache
    app.state.tile_feed = feed
    app.state.tile_listener = (
        asyncio.create_task(feed.run(), name="tile-change-feed") if cache.enabled else None
    )


async def stop(app: FastAPI) -> None:
    """Stop the listener and close the tile pool."""
    task = getattr(app.state, "tile_listener", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    feed = getattr(app.state, "tile_feed", None)
    if feed is not None:
        await feed.close()
    pool = getattr(app.state, "tile_pool", None)
    if pool is not None:
        await pool.close()


def changed(app: FastAPI, layer: str, lon: float, lat: float) -> None:
    """After a route committed a change at a point: drop this process's cached tiles there and
    wake the other processes' change feeds (they would otherwise see it at their next poll)."""
    cache: TileCache | None = getattr(app.state, "tile_cache", None)
    if cache is not None and cache.enabled:
        x, y = to_3857(lon, lat)
        cache.invalidate(layer, [(x, y, x, y)])
        app.state.tile_feed.wake()


def _domain_spec(layer: str) -> LayerSpec:
    if layer == "assets":
        return tilelayers.assets()
    if layer == "cases":
        return tilelayers.cases()
    raise UnknownLayer(f"no tile layer {layer!r}; layers are assets, cases, boundaries/<layer>")


async def _boundary_layers(request: Request) -> set[str]:
    """Codes of the boundary layers, re-read at most every few seconds."""
    state = request.app.state
    cached = getattr(state, "boundary_layers", None)
    if cached is not None and cached[0] > time.monotonic():
        return set(cached[1])
    pool: AsyncConnectionPool = state.tile_pool
    async with pool.connection() as conn:
        rows = await (await conn.execute("SELECT code FROM boundaries.layer")).fetchall()
    codes = {str(r[0]) for r in rows}
    state.boundary_layers = (time.monotonic() + 5.0, codes)
    return codes


async def _boundary_spec(request: Request, layer: str) -> LayerSpec:
    if layer not in await _boundary_layers(request):
        raise UnknownLayer(f"no boundary layer {layer!r}")
    return tilelayers.boundary(layer)


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


async def _principal(request: Request) -> keys.Principal | None:
    """The caller's key, verified on the tile pool (no thread hop; remembered briefly)."""
    token = auth.bearer_token(request)
    if token is None:
        return None
    principal = await auth.verify_async(request.app.state.tile_pool, token)
    if principal is None:
        raise access.AuthenticationRequired("the API key is not valid or has been revoked")
    return principal


async def _serve(
    request: Request, spec: LayerSpec, cache_layer: str, z: int, x: int, y: int
) -> Response:
    values = {k: v for k, v in request.query_params.items()
              if not k.startswith(tilelayers.SCOPE_PREFIX)}
    cache_control = spec.cache_control
    if spec.name == "cases":
        principal = await _principal(request)
        scope = access.case_scope(principal)
        values.update(tilelayers.scope_values(scope.departments, scope.districts))
        if principal is not None:
            # What a key sees is its own: no shared cache may hand it to anyone else.
            cache_control = cache_control.replace("public", "private")
    query = tile_query(spec, z, x, y, values)
    state = request.app.state
    pool: AsyncConnectionPool = state.tile_pool
    cache: TileCache = state.tile_cache

    async def render() -> bytes:
        async with pool.connection() as conn:
            return await render_async(conn, query)

    if cache.enabled:
        filters = tuple((n, values.get(n, spec.filters[n].default)) for n in sorted(spec.filters))
        tile = await cache.get_or_render((cache_layer, z, x, y, (spec.name, filters)), render)
    else:
        tile = Tile.of(await render())
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding, Authorization"}
    if not tile.data:
        return Response(status_code=204, headers=headers)
    gzip = _accepts_gzip(request)
    etag = tile.etag[:-1] + '-gz"' if gzip else tile.etag
    headers["ETag"] = etag
    if etag in (t.strip() for t in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    if gzip:
        headers["Content-Encoding"] = "gzip"
        return Response(tile.gzipped(), media_type=MVT, headers=headers)
    return Response(tile.data, media_type=MVT, headers=headers)


@router.get("/style.json", summary="MapLibre style: districts, assets and open cases")
def style(request: Request, conn: ConnDep) -> dict[str, Any]:
    settings = request.app.state.settings
    layers = [r[0] for r in conn.execute("SELECT code FROM boundaries.layer ORDER BY id")]
    services = [r[0] for r in conn.execute(
        "SELECT code FROM registry.service WHERE active ORDER BY code")]
    district = settings.jurisdiction_layer if settings.jurisdiction_layer in layers else (
        layers[0] if layers else None)
    return build_style(str(request.base_url), district, services, settings.basemap_style_url)


@router.get("/boundaries/{layer}.json", summary="TileJSON of a boundary layer")
async def boundary_tilejson(layer: str, request: Request) -> dict[str, Any]:
    spec = await _boundary_spec(request, layer)
    return await _tilejson(request, spec, f"boundaries/{layer}")


@router.get("/{layer}.json", summary="TileJSON of the assets or cases layer")
async def layer_tilejson(layer: str, request: Request) -> dict[str, Any]:
    return await _tilejson(request, _domain_spec(layer), layer)


async def _tilejson(request: Request, spec: LayerSpec, path: str) -> dict[str, Any]:
    query = f"?{request.url.query}" if request.url.query else ""
    url = f"{request.base_url}tiles/{path}/{{z}}/{{x}}/{{y}}.mvt{query}"
    return tilejson(spec, url, bounds=await _city_bounds(request))


async def _city_bounds(request: Request) -> tuple[float, float, float, float] | None:
    state = request.app.state
    cached = getattr(state, "city_bounds", None)
    if cached is not None and cached[0] > time.monotonic():
        bounds: tuple[float, float, float, float] | None = cached[1]
        return bounds
    pool: AsyncConnectionPool = state.tile_pool
    async with pool.connection() as conn:
        row = await (await conn.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
            "SELECT COALESCE((SELECT ST_Extent(geom) FROM boundaries.feature),"
            " (SELECT ST_Extent(geom) FROM registry.asset)) AS e) s"
        )).fetchone()
    found = (float(row[0]), float(row[1]), float(row[2]), float(row[3])) if (
        row and row[0] is not None) else None
    state.city_bounds = (time.monotonic() + 60.0, found)
    return found


@router.get(
    "/boundaries/{layer}/{z}/{x}/{y}.mvt", responses=TILE_RESPONSES,
    summary="A tile of a boundary layer (filter: at)",
)
async def boundary_tile(layer: str, z: int, x: int, y: int, request: Request) -> Response:
    return await _serve(request, await _boundary_spec(request, layer), "boundaries", z, x, y)


@router.get(
    "/{layer}/{z}/{x}/{y}.mvt", responses=TILE_RESPONSES,
    summary="A tile of assets (filters: type, status) or cases (status, service_code, since, "
    "district)",
)
async def layer_tile(layer: str, z: int, x: int, y: int, request: Request) -> Response:
    return await _serve(request, _domain_spec(layer), layer, z, x, y)


# The two tile routes above document the API and answer what the fast path below does not
# take (a negative or non-numeric z/x/y, which they refuse). Every well-formed tile request is
# served by `serve_fast` before the app's middleware and routing: the same `_serve`, without
# the per-request layers that cost as much as a small tile's query.
_FAST_TILE = re.compile(
    r"^/tiles/(?:(?P<boundaries>boundaries)/)?(?P<layer>[A-Za-z0-9_]+)"
    r"/(?P<z>[0-9]{1,2})/(?P<x>[0-9]{1,7})/(?P<y>[0-9]{1,7})\.mvt$"
)


async def serve_fast(app: FastAPI, scope: Scope, receive: Receive, send: Send) -> bool:
    """Serve ``scope`` if it is a well-formed tile request; False to let the app route it."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    match = _FAST_TILE.match(scope["path"])
    if match is None or (match["boundaries"] is None and match["layer"] == "boundaries"):
        return False
    request = Request(scope, receive)
    z, x, y = int(match["z"]), int(match["x"]), int(match["y"])
    try:
        if match["boundaries"]:
            spec = await _boundary_spec(request, match["layer"])
            response = await _serve(request, spec, "boundaries", z, x, y)
        else:
            response = await _serve(request, _domain_spec(match["layer"]), match["layer"],
                                    z, x, y)
    except Exception as exc:
        response = await errors.answer(request, exc)
    await response(scope, receive, send)
    return True


PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
           "#bfef45", "#469990", "#9a6324", "#800000", "#808000", "#000075", "#a9a9a9")


def build_style(
    base_url: str, district: str | None, services: list[str], basemap: str | None
) -> dict[str, Any]:
    """A MapLibre style drawing the district layer, assets and open cases."""
    sources: dict[str, Any] = {
        "assets": {"type": "vector", "url": f"{base_url}tiles/assets.json"},
        "cases": {"type": "vector", "url": f"{base_url}tiles/cases.json"},
    }
    layers: list[dict[str, Any]] = [
        {"id": "background", "type": "background", "paint": {"background-color": "#f4f1ea"}},
    ]
    if district:
        sources["districts"] = {
            "type": "vector", "url": f"{base_url}tiles/boundaries/{district}.json"}
        layers += [
            {"id": "districts-fill", "type": "fill", "source": "districts",
             "source-layer": district,
             "paint": {"fill-color": "#d9e6f2", "fill-opacity": 0.5}},
            {"id": "districts-line", "type": "line", "source": "districts",
             "source-layer": district,
             "paint": {"line-color": "#36648b", "line-width": 1.5}},
        ]
    colour: list[Any] = ["match", ["get", "service_code"]]
    for i, code in enumerate(services):
        colour += [code, PALETTE[i % len(PALETTE)]]
    colour.append("#555555")
    layers += [
        {"id": "assets", "type": "circle", "source": "assets", "source-layer": "assets",
         "minzoom": 14,
         "paint": {"circle-radius": 2.5, "circle-color": "#777777", "circle-opacity": 0.7}},
        {"id": "cases", "type": "circle", "source": "cases", "source-layer": "cases",
         "filter": ["has", "number"],
         "paint": {
             "circle-color": colour if services else "#d7301f",
             "circle-radius": ["interpolate", ["linear"],
                               ["coalesce", ["get", "duplicate_count"], 0], 0, 5, 10, 12],
             "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}},
        {"id": "cases-clusters", "type": "circle", "source": "cases", "source-layer": "cases",
         "filter": ["!", ["has", "number"]],
         "paint": {"circle-color": "#d7301f", "circle-opacity": 0.6,
                   "circle-radius": ["interpolate", ["linear"], ["get", "count"],
                                     1, 4, 100, 14, 1000, 24]}},
    ]
    style: dict[str, Any] = {"version": 8, "name": "gis311", "sources": sources,
                             "layers": layers}
    if basemap:
        style["metadata"] = {"gis311:basemap": basemap}
    return style
