"""Driving the map page in Debian's headless Chromium through Playwright (no browser download:
Playwright launches /usr/bin/chromium), collecting every console error, page error and failed
request on the way."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    # WebGL on the CPU: MapLibre needs WebGL and the machine has no GPU.
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]
READY_TIMEOUT_MS = 30_000


def require_chromium() -> None:
    """Skip without Chromium or Playwright (`make test` installs both); fail in CI."""
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} (Debian package chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the playwright package (dev extra)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests need {missing}", pytrace=False)
        pytest.skip(f"browser tests need {missing}")


@dataclass
class MapPage:
    """An open map page and what went wrong on it."""

    page: Any
    problems: list[str] = field(default_factory=list)

    def wait_ready(self) -> None:
        self.page.wait_for_selector("body[data-ready=true]", state="attached",
                                    timeout=READY_TIMEOUT_MS)

    def wait_rendered(self, layer: str, at_least: int = 1) -> None:
        self.page.wait_for_function(
            "([layer, n]) => window.map && window.map.getLayer(layer) && window.map.loaded()"
            " && window.map.queryRenderedFeatures({layers: [layer]}).length >= n",
            arg=[layer, at_least], timeout=READY_TIMEOUT_MS,
        )

    def rendered(self, layer: str) -> list[dict[str, Any]]:
        """Properties of the features of ``layer`` drawn now (``map.queryRenderedFeatures``)."""
        result: list[dict[str, Any]] = self.page.evaluate(
            "(layer) => window.map.queryRenderedFeatures({layers: [layer]})"
            ".map((f) => f.properties)", layer)
        return result

    def idle(self) -> None:
        """Wait until the map has drawn everything it has asked for."""
        self.page.evaluate(
            "() => new Promise((done) => { if (window.map.loaded()) done(); "
            "else window.map.once('idle', () => done()); })")

    def click_at(self, lon: float, lat: float) -> None:
        """Click the map where (lon, lat) is drawn."""
        point = self.page.evaluate("([lon, lat]) => window.map.project([lon, lat])", [lon, lat])
        box = self.page.locator("#map canvas").bounding_box()
        assert box is not None
        self.page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def open_map(browser: Any, base: str, *, key: str | None = None, fragment: str = "",
             width: int = 1280, height: int = 800) -> MapPage:
    """Open ``/map`` (entering ``key`` in the page's key form first) and wait until it is ready."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    opened = MapPage(page)
    problems = opened.problems

    def console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text}")

    def failed(req: Any) -> None:
        # MapLibre cancels the tile requests of a view it has left: those aborts are fine.
        if "ERR_ABORTED" not in (req.failure or ""):
            problems.append(f"failed: {req.url} {req.failure}")

    def response(resp: Any) -> None:
        if resp.status >= 400:
            problems.append(f"HTTP {resp.status}: {resp.url}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", failed)
    page.on("response", response)
    page.goto(f"{base}/map#{fragment}")
    if key is not None:
        opened.wait_ready()
        page.click("#key-box summary")
        page.fill("#key-input", key)
        with page.expect_navigation():
            page.click("#key-form button[type=submit]")
    opened.wait_ready()
    return opened
