"""``/media``: the photos sent with Open311 reports, read-only."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from gis311.deps import SettingsDep
from gis311.errors import ApiError
from gis311.open311 import media
from gis311.routing import StrictJSONRoute

router = APIRouter(prefix="/media", tags=["media"], route_class=StrictJSONRoute)


@router.get(
    "/{folder}/{name}", response_class=FileResponse,
    summary="A photo sent with a report",
    responses={200: {"content": {t: {} for t in media.CONTENT_TYPES.values()}}},
)
def media_file(folder: str, name: str, settings: SettingsDep) -> FileResponse:
    path = media.path_of(settings.media_path, f"{folder}/{name}")
    if path is None:
        raise ApiError(f"no media {folder}/{name}", status=404)
    # Named by the hash of its content: the file behind a name never changes.
    return FileResponse(
        path, media_type=media.CONTENT_TYPES[path.suffix[1:]],
        headers={"Cache-Control": "public, max-age=31536000, immutable",
                 "X-Content-Type-Options": "nosniff"},
    )
