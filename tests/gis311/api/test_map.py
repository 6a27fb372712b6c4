"""``GET /map`` and its static files: fixed file lists, gzip, ETag, and a clear page when
MapLibre is not installed."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from gis311.api import map as map_api


@pytest.fixture
def maplibre(client: TestClient) -> TestClient:
    if map_api.maplibre_dir() is None:
        if os.environ.get("CI"):
            pytest.fail("MapLibre GL JS not installed in CI (make bootstrap runs npm ci)",
                        pytrace=False)
        pytest.skip("MapLibre GL JS not installed (make bootstrap runs npm ci)")
    return client


def test_the_page_loads_maplibre_and_its_script_from_this_server(maplibre: TestClient) -> None:
    page = maplibre.get("/map")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'src="static/maplibre/maplibre-gl.js"' in html
    assert 'src="static/map/map.js"' in html
    assert "http://" not in html and "https://" not in html  # nothing from the internet
    for name in map_api.PAGE_FILES:
        assert maplibre.get(f"/static/map/{name}").status_code == 200
    script = maplibre.get("/static/maplibre/maplibre-gl.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith(
        "text/javascript")


def test_files_are_gzipped_when_accepted_and_revalidated_by_etag(maplibre: TestClient) -> None:
    plain = maplibre.get("/static/maplibre/maplibre-gl.js",
                         headers={"Accept-Encoding": "identity"})
    zipped = maplibre.get("/static/maplibre/maplibre-gl.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < int(plain.headers["content-length"]) / 2
    assert zipped.content == plain.content  # httpx decoded it
    again = maplibre.get("/static/maplibre/maplibre-gl.js",
                         headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", [
    "/static/map/secret.py", "/static/map/..%2F..%2Fsettings.py", "/static/maplibre/package.json",
    "/static/map/", "/static/maplibre/..%2Fpackage.json",
])
def test_only_the_listed_files_are_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_without_maplibre_the_page_says_how_to_install_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(map_api, "maplibre_dir", lambda: None)
    page = client.get("/map")
    assert page.status_code == 503 and "make bootstrap" in page.text
    assert client.get("/static/maplibre/maplibre-gl.js").status_code == 404
