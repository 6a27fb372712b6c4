"""``GET /map``: the MapLibre map page for councilors and crews, and its static files.

The page and its script live in ``gis311/web/``. MapLibre GL JS comes from the npm registry
(pinned in ``package.json``/``package-lock.json``, installed by ``make bootstrap`` into
``node_modules/``) and is served from here too, so the page needs no internet: no CDN, no
remote fonts or glyphs. Files are served from fixed lists (no path from the request reaches
the file system), gzipped when the client accepts it.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from gis311.errors import ApiError
from gis311.routing import StrictJSONRoute

router = APIRouter(tags=["map"], route_class=StrictJSONRoute, include_in_schema=False)

WEB = Path(__file__).resolve().parent.parent / "web"
PAGE_FILES = {
    "map.js": "text/javascript", "api.js": "text/javascript", "layers.js": "text/javascript",
    "panels.js": "text/javascript", "map.css": "text/css",
}
MAPLIBRE_FILES = {
    "maplibre-gl.js": "text/javascript",
    "maplibre-gl.css": "text/css",
    "maplibre-gl.js.map": "application/json",
    "LICENSE.txt": "text/plain",
}
MAPLIBRE_DIST = Path("node_modules") / "maplibre-gl" / "dist"
MISSING = """<!doctype html><html lang="en"><meta charset="utf-8"><title>gis311 map</title>
<h1>The map needs MapLibre GL JS</h1>
<p>It is installed from the npm registry by <code>make bootstrap</code> (<code>npm ci</code> in
the project folder, which creates <code>node_modules/maplibre-gl</code>).</p></html>"""


def maplibre_dir() -> Path | None:
    """Where MapLibre's ``dist`` folder is: in the checkout the code runs from (``make
    bootstrap``), else under the working directory (an installed package run from a folder
    where ``npm ci`` ran, as the Docker image does)."""
    for root in (WEB.parent.parent, Path.cwd()):
        candidate = root / MAPLIBRE_DIST
        if (candidate / "maplibre-gl.js").is_file():
            return candidate
    return None


@lru_cache(maxsize=16)
def _read(path: Path, mtime_ns: int, gzipped: bool) -> bytes:
    data = path.read_bytes()
    return gzip.compress(data, 6, mtime=0) if gzipped else data


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def _file(request: Request, path: Path, media_type: str, cache: str) -> Response:
    stat = path.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    headers = {"Cache-Control": cache, "ETag": etag, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    gzipped = _accepts_gzip(request)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(_read(path, stat.st_mtime_ns, gzipped), media_type=media_type,
                    headers=headers)


@router.get("/map", response_class=HTMLResponse, summary="The map page")
def map_page(request: Request) -> Response:
    if maplibre_dir() is None:
        return HTMLResponse(MISSING, status_code=503)
    return _file(request, WEB / "map.html", "text/html; charset=utf-8", "no-cache")


@router.get("/static/map/{name}", summary="A file of the map page")
def page_file(name: str, request: Request) -> Response:
    if name not in PAGE_FILES:
        raise ApiError(f"no file {name!r}", status=404)
    return _file(request, WEB / name, PAGE_FILES[name], "no-cache")


@router.get("/static/maplibre/{name}", summary="A file of MapLibre GL JS")
def maplibre_file(name: str, request: Request) -> Response:
    folder = maplibre_dir()
    if name not in MAPLIBRE_FILES or folder is None:
        raise ApiError(f"no file {name!r}" if folder else "MapLibre GL JS is not installed; "
                       "run `make bootstrap`", status=404)
    # The pinned version changes only with package-lock.json; revalidating costs a 304.
    return _file(request, folder / name, MAPLIBRE_FILES[name], "public, max-age=3600")
