"""The two formats of GeoReport v2: which one a request asks for, and its responses.

The format is the resource's extension: ``.xml`` or ``.json``; none means JSON. Every answer,
errors included, comes in the format asked for, with the content types clients expect.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import Request, Response

from gis311.open311 import xml

Format = Literal["json", "xml"]
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
EXTENSIONS: tuple[Format, ...] = ("json", "xml")


def split(segment: str) -> tuple[str, Format]:
    """(name, format) of a last path segment: ``"pothole.xml"`` -> ``("pothole", "xml")``."""
    for fmt in EXTENSIONS:
        if segment.endswith("." + fmt) and len(segment) > len(fmt) + 1:
            return segment[: -len(fmt) - 1], fmt
    return segment, "json"


def of(request: Request) -> Format:
    """The format the request's path asks for."""
    return split(request.url.path.rstrip("/").rsplit("/", 1)[-1])[1]


def respond(fmt: Format, root: str, value: Any, status: int = 200) -> Response:
    """``value`` as a JSON document, or as XML under the element ``root``."""
    if fmt == "xml":
        return Response(xml.document(root, value), status_code=status, media_type=XML_TYPE)
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type=JSON_TYPE)


def error(fmt: Format, status: int, description: str) -> Response:
    """The Open311 error body: ``[{"code": 404, "description": "..."}]`` or ``<errors>``."""
    return respond(fmt, "errors", [{"code": status, "description": description}], status)
