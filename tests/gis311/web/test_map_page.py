"""The map page (``GET /map``, ``gis311/web/``) in a real headless Chromium against
``gis311 serve`` with a small committed city: what it draws, what a click shows, what each key
sees, a crew's status change, and a screenshot that is not blank."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from tests.conftest import REPO
from tests.gis311.web.browser import open_map
from tests.gis311.web.conftest import SL1, Town
from tests.registry import city

ARTIFACTS = REPO / "test-artifacts"


def _numbers(features: list[dict[str, Any]]) -> set[str]:
    return {f["number"] for f in features}


def test_district_view_draws_the_district_and_its_open_cases(browser: Any, town: Town) -> None:
    opened = open_map(browser, town.url, fragment="view=councilor&district=ward:1")
    opened.wait_rendered("cases", len(town.ward1_open))
    opened.idle()
    outline = opened.rendered("district-outline")
    assert outline and {f["code"] for f in outline} == {"1"}
    assert _numbers(opened.rendered("cases")) == town.ward1_open
    listed = opened.page.locator("#case-list button").evaluate_all(
        "(buttons) => buttons.map((b) => b.dataset.number)")
    assert set(listed) == town.ward1_open
    assert opened.problems == []


def test_clicking_a_case_shows_its_number_service_status_asset_age_and_history(
    browser: Any, town: Town
) -> None:
    opened = open_map(browser, town.url, fragment="district=ward:1")
    opened.wait_rendered("cases", len(town.ward1_open))
    opened.page.evaluate("([lon, lat]) => window.map.jumpTo({center: [lon, lat], zoom: 17})",
                         list(town.positions[town.light_case]))
    opened.wait_rendered("cases")
    opened.click_at(*town.positions[town.light_case])
    detail = opened.page.locator("#detail")
    detail.wait_for(state="visible")
    text = detail.inner_text()
    assert f"Case {town.light_case}" in text
    for expected in ("Streetlight Out", "open", "streetlight SL-1", "30 h", "History", "created",
                     "duplicate added"):
        assert expected in text, (expected, text)
    assert opened.problems == []


def test_councilor_key_shows_only_its_district(browser: Any, town: Town) -> None:
    # Even a link to another district shows the key's own.
    opened = open_map(browser, town.url, key=town.councilor_key, fragment="district=ward:2")
    opened.wait_rendered("cases", len(town.ward1_open))
    opened.idle()
    assert "councilor" in opened.page.locator("#who").inner_text()
    options = opened.page.locator("#district-select option").evaluate_all(
        "(options) => options.map((o) => o.value)")
    assert options == ["ward:1"]
    assert _numbers(opened.rendered("cases")) == town.ward1_open
    listed = opened.page.locator("#case-list button").evaluate_all(
        "(buttons) => buttons.map((b) => b.dataset.number)")
    assert set(listed) == town.ward1_open
    assert opened.problems == []


def test_councilor_key_cannot_reach_other_districts_cases(browser: Any, town: Town) -> None:
    # The page asks only for the key's district; the server must refuse the rest to the key
    # itself: a list or tile without a district filter, or one asking for ward 2.
    opened = open_map(browser, town.url, key=town.councilor_key)
    opened.wait_rendered("cases", len(town.ward1_open))
    seen: dict[str, list[str]] = opened.page.evaluate(
        """async (tile) => {
            const headers = {Authorization: `Bearer ${sessionStorage.getItem('gis311.key')}`};
            const out = {};
            for (const q of ['', '&district=ward:2']) {
                const r = await fetch(`api/v1/cases?status=open,in_progress${q}`, {headers});
                out[`list${q}`] = r.ok ? (await r.json()).cases.map((c) => c.number) : [];
            }
            window.map.getSource('cases').setUrl('tiles/cases.json?status=open,in_progress');
            return out;
        }""")
    for where, numbers in seen.items():
        assert not set(numbers) & town.ward2_open, (where, numbers)
    opened.page.evaluate("([lon, lat]) => window.map.jumpTo({center: [lon, lat], zoom: 14})",
                         list(city.WARD2_CENTRE))
    opened.idle()
    assert not _numbers(opened.rendered("cases")) & town.ward2_open


def test_crew_changes_a_status_from_the_case_panel(browser: Any, town: Town) -> None:
    opened = open_map(browser, town.url, key=town.crew_key, fragment="view=crew")
    assert opened.page.locator("input[name=view][value=crew]").is_checked()
    opened.page.evaluate("([lon, lat]) => window.map.jumpTo({center: [lon, lat], zoom: 18})",
                         list(SL1))
    opened.wait_rendered("assets-points")
    opened.idle()
    # A click on the streetlight lists its open case; the case's panel changes its status.
    opened.click_at(*SL1)
    detail = opened.page.locator("#detail")
    detail.locator("h2", has_text="SL-1").wait_for()
    detail.locator(f"button[data-number='{town.light_case}']").click()
    detail.locator("h2", has_text=town.light_case).wait_for()
    opened.page.select_option("#new-status", "in_progress")
    opened.page.fill("#status-note", "crew on the way")
    opened.page.click("#detail button[type=submit]")
    opened.page.locator("#status", has_text="in progress").wait_for()
    case = httpx.get(f"{town.url}/api/v1/cases/{town.light_case}",
                     headers={"Authorization": f"Bearer {town.crew_key}"}).json()
    assert case["status"] == "in_progress"
    change = [e for e in case["history"] if e["kind"] == "status_changed"]
    assert [e["note"] for e in change] == ["crew on the way"]
    assert opened.problems == []


def test_screenshot_is_saved_and_not_blank(browser: Any, town: Town) -> None:
    opened = open_map(browser, town.url, fragment="district=ward:1")
    opened.wait_rendered("cases", len(town.ward1_open))
    opened.idle()
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "map.png"
    opened.page.screenshot(path=str(path))
    whole = Image.open(path).convert("RGB")
    assert len(whole.getcolors(maxcolors=whole.width * whole.height) or []) > 50
    # The map itself (not only the side panel) has drawn districts and cases.
    canvas = Image.open(BytesIO(opened.page.locator("#map").screenshot())).convert("RGB")
    colours = canvas.getcolors(maxcolors=canvas.width * canvas.height) or []
    assert len(colours) > 10
    assert max(count for count, _ in colours) < 0.9 * canvas.width * canvas.height
    assert Path(path).stat().st_size > 10_000


def test_phone_width_keyboard_and_labels(browser: Any, town: Town) -> None:
    opened = open_map(browser, town.url, fragment="district=ward:1", width=360, height=740)
    page = opened.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'input, select, textarea, button')].filter((el) => {
            const name = (el.labels && [...el.labels].map((l) => l.textContent).join(''))
                || el.getAttribute('aria-label') || el.textContent;
            return !name || !name.trim();
        }).map((el) => el.outerHTML)""")
    assert unlabelled == []
    # Keyboard only: tab to the first case of the list and open it with Enter.
    first = page.locator("#case-list button").first
    first.wait_for()
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.dataset.number"):
            break
    number = page.evaluate("document.activeElement.dataset.number")
    assert number in town.ward1_open
    page.keyboard.press("Enter")
    page.locator("#detail h2", has_text=number).wait_for()
    assert page.evaluate("document.activeElement.id") == "detail"
    assert opened.problems == []
