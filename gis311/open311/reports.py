"""POST requests: read the body as clients send it and turn it into a case report.

Bodies come form-encoded (FixMyStreet, most apps), as multipart with a ``media`` photo, or as a
JSON object with the same keys. ``attribute[CODE]`` carries one answer, ``attribute[CODE][]``
(or a repeated key) a list; ``attribute[asset_id]`` names the asset. Reporter fields become
the private contact of the case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from gis311.errors import ApiError
from gis311.open311.params import bad, number
from registry.intake import Contact

MAX_FIELDS = 200
MAX_MEDIA_URLS = 10
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
LIMITS = {
    "service_code": 64, "address_string": 500, "address_id": 200, "email": 320,
    "first_name": 100, "last_name": 100, "phone": 40, "device_id": 200, "account_id": 200,
    "media_url": 2048, "jurisdiction_id": 200, "api_key": 200, "lat": 40, "long": 40,
}
MAX_ATTRIBUTE_VALUE = 1000


@dataclass
class PostBody:
    """The fields of a POST (every value a list: keys may repeat) and an uploaded photo."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    media: bytes | None = None

    def first(self, name: str) -> str | None:
        """The first non-blank value of ``name``, stripped, or None."""
        for value in self.fields.get(name, []):
            if value.strip():
                return value.strip()
        return None

    def singles(self) -> dict[str, str]:
        """The first value of every field (for the api_key and jurisdiction_id look-ups)."""
        return {k: v[0] for k, v in self.fields.items() if v}


def _add(fields: dict[str, list[str]], key: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _add(fields, key, item)
        return
    if isinstance(value, dict):
        raise bad(f"{key} must be a value or a list of values, not an object")
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    fields.setdefault(key, []).append(text)


async def read_body(request: Request, media_max_bytes: int) -> PostBody:
    """Parse the request body (form, multipart or JSON); ApiError for what cannot be read."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = PostBody()
    if kind == "application/json":
        try:
            data = await request.json()
        except ValueError as exc:
            raise bad(f"the body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise bad("a JSON body must be an object of Open311 fields")
        for key, value in data.items():
            if key == "attribute" and isinstance(value, dict):
                for code, answer in value.items():
                    _add(body.fields, _list_key(f"attribute[{code}]", answer), answer)
            else:
                _add(body.fields, _list_key(str(key), value), value)
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data", ""):
        form = await request.form(max_files=1, max_fields=MAX_FIELDS)
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key != "media":
                    raise bad(f"{key}: only the field media may hold a file")
                body.media = await _read_upload(value, media_max_bytes)
            else:
                body.fields.setdefault(key, []).append(value)
    else:
        raise bad(f"content type {kind} is not one of application/x-www-form-urlencoded, "
                  "multipart/form-data, application/json")
    if sum(len(v) for v in body.fields.values()) > MAX_FIELDS:
        raise bad(f"at most {MAX_FIELDS} fields")
    return body


def _list_key(key: str, value: Any) -> str:
    # A JSON list given to an attribute is a list answer even when it holds one item.
    if isinstance(value, list) and _ATTRIBUTE.match(key) and not key.endswith("[]"):
        return key + "[]"
    return key


async def _read_upload(upload: UploadFile, limit: int) -> bytes | None:
    data = await upload.read(limit + 1)
    await upload.close()
    if not data:
        return None
    if len(data) > limit:
        raise ApiError(f"media is larger than {limit} bytes", status=413)
    return data


def check_lengths(body: PostBody) -> None:
    """Refuse values longer than their field holds (named), before anything is stored."""
    for name, limit in LIMITS.items():
        for value in body.fields.get(name, []):
            if len(value) > limit:
                raise bad(f"{name} is longer than {limit} characters")
    if len(body.fields.get("media_url", [])) > MAX_MEDIA_URLS:
        raise bad(f"at most {MAX_MEDIA_URLS} media_url values")


def attributes(body: PostBody) -> tuple[dict[str, Any], str | None]:
    """(answers by attribute code, the asset id named by ``attribute[asset_id]``).

    A blank answer counts as no answer, so a required attribute sent empty is missing.
    """
    answers: dict[str, list[str]] = {}
    listed: set[str] = set()
    for key, values in body.fields.items():
        match = _ATTRIBUTE.match(key)
        if match is None:
            if key.startswith("attribute["):
                raise bad(f"{key} is not attribute[CODE] or attribute[CODE][]")
            continue
        code = match.group(1)
        if match.group(2):
            listed.add(code)
        for value in values:
            if len(value) > MAX_ATTRIBUTE_VALUE:
                raise bad(f"attribute[{code}] is longer than {MAX_ATTRIBUTE_VALUE} characters")
            if value.strip():
                answers.setdefault(code, []).append(value.strip())
    asset = answers.pop("asset_id", [None])[0]
    listed.discard("asset_id")
    out: dict[str, Any] = {
        code: values if code in listed or len(values) > 1 else values[0]
        for code, values in answers.items()
    }
    return out, asset


def location(body: PostBody) -> tuple[float, float] | None:
    """(lon, lat) when the body gives ``lat`` and ``long``; None when it gives neither."""
    lat, lon = body.first("lat"), body.first("long")
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        raise bad("lat and long go together: send both, or an address_string")
    return number("long", lon), number("lat", lat)


def contact(body: PostBody) -> Contact | None:
    """The reporter's contact (kept private), or None when the body names nobody."""
    name = " ".join(p for p in (body.first("first_name"), body.first("last_name")) if p)
    found = Contact(
        name=name or None, email=body.first("email"), phone=body.first("phone"),
        device_id=body.first("device_id"), account_id=body.first("account_id"),
    )
    return found if found.as_json() else None


def media_urls(body: PostBody) -> list[str]:
    """The ``media_url`` values, each an http(s) URL."""
    urls = [u.strip() for u in body.fields.get("media_url", []) if u.strip()]
    for url in urls:
        if not re.match(r"^https?://[^\s/]+\S*$", url):
            raise bad(f"media_url must be an http or https URL, not {url!r}")
    return urls
