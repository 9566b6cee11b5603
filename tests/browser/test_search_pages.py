"""Search, home and record pages in real Chromium over the harvested samples (plus a
"regional mirror" source republishing one record): what a user does, end to end."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from testkit.browser import MIRROR_NAME, PHONE, Site, screenshot

AREA_FIELDS = ("west", "south", "east", "north")


def _results(page: Page) -> int:
    heading = page.locator("#results-title").inner_text()
    found = re.search(r"\d+", heading)
    assert found, heading
    return int(found.group())


def test_search_by_theme_tile(page: Page) -> None:
    page.goto("/")
    tile = page.locator("a.theme-tile.theme-water")
    count = int(re.search(r"\d+", tile.locator(".theme-count").inner_text()).group())  # type: ignore[union-attr]
    assert count > 0
    tile.click()
    page.wait_for_url(re.compile(r"/search\?theme=water"))
    assert _results(page) == count
    selected = page.locator("#facet-theme ~ ul a.bucket.selected")
    expect(selected.first).to_contain_text("Water")


def _console_errors(page: Page) -> list[str]:
    """Script errors and console errors (a CSP refusal is one) from now on."""
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} at {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_text_then_facet_then_drawn_box_and_back(page: Page) -> None:
    errors = _console_errors(page)
    page.goto("/")
    page.get_by_label("Search the catalogues").fill("zones humides")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"q=zones(\+|%20)humides"))
    all_hits = _results(page)
    assert all_hits >= 3
    expect(page.locator("[data-map] path.leaflet-interactive").first).to_be_attached()
    page.wait_for_timeout(300)  # let the outline paint before the screenshot
    screenshot(page, "search")
    # A keyword facet narrows the results (htmx swaps the page and pushes the URL).
    page.locator("section.facet", has=page.locator("#facet-keyword")).locator(
        "a.bucket", has_text="Bretagne"
    ).first.click()
    page.wait_for_url(re.compile(r"keyword=Bretagne"))
    narrowed = _results(page)
    assert 0 < narrowed <= all_hits
    # Draw a box over Brittany with Shift+drag: the four area inputs are filled, the form sent.
    map_box = page.locator("[data-map]")
    expect(map_box).to_be_visible()
    expect(page.locator("[data-map] path.leaflet-interactive").first).to_be_attached()
    bounds = map_box.bounding_box()
    assert bounds is not None
    x, y = bounds["x"] + bounds["width"] / 2, bounds["y"] + bounds["height"] / 2
    page.keyboard.down("Shift")
    page.mouse.move(x - 60, y - 40)
    page.mouse.down()
    page.mouse.move(x + 10, y + 10, steps=5)
    page.mouse.move(x + 60, y + 40, steps=5)
    page.mouse.up()
    page.keyboard.up("Shift")
    page.wait_for_url(re.compile(r"west=.*north="))
    for name in AREA_FIELDS:
        assert page.locator(f"#box-{name}").input_value() != ""
    state = parse_qs(urlsplit(page.url).query)
    assert state["keyword"] == ["Bretagne"] and state["q"] == ["zones humides"]
    boxed = _results(page)
    assert boxed <= narrowed
    # The back button restores the previous state.
    page.go_back()
    page.wait_for_url(lambda url: "west=" not in url and "keyword=Bretagne" in url)
    expect(page.locator("#results-title")).to_contain_text(str(narrowed))
    assert errors == []


def test_open_a_record_published_by_two_sources(page: Page) -> None:
    page.goto("/search?q=zones+humides+vilaine")
    hit = page.locator("li.hit", has_text="also published by")
    expect(hit.first).to_contain_text(MIRROR_NAME)
    title = hit.first.locator("h3 a")
    name = title.inner_text()
    title.click()
    page.wait_for_url(re.compile(r"/records/\w+"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator(".also")).to_contain_text(MIRROR_NAME)
    expect(page.locator("ul.copies > li", has_text=MIRROR_NAME)).to_have_count(1)
    expect(page.locator(".theme-evidence").first).to_contain_text("Filed under")
    expect(page.locator("#wms-1")).to_have_value(re.compile(r"^https?://"))
    expect(page.locator("[data-map] .leaflet-interactive").first).to_be_attached()
    screenshot(page, "record")


@pytest.fixture
def no_js_page(browser: Browser, webui_site: Site) -> Iterator[Page]:
    context = browser.new_context(base_url=webui_site.url, java_script_enabled=False)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def test_search_works_without_javascript(no_js_page: Page) -> None:
    page = no_js_page
    page.goto("/")
    page.get_by_label("Search the catalogues").fill("zones humides")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?q=zones"))
    everywhere = _results(page)
    assert everywhere > 0
    expect(page.locator("[data-map]")).to_be_hidden()  # the map needs JavaScript; inputs do not
    for name, value in zip(AREA_FIELDS, ("-5.5", "47", "-1", "49"), strict=True):
        page.locator(f"#box-{name}").fill(value)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"west=-5.5"))
    in_brittany = _results(page)
    assert 0 < in_brittany < everywhere
    page.locator("li.hit h3 a").first.click()
    page.wait_for_url(re.compile(r"/records/\w+"))
    expect(page.locator("#provenance-title")).to_be_visible()


def test_the_language_switch_keeps_the_search(page: Page) -> None:
    page.goto("/search?q=eau")
    english = _results(page)
    page.get_by_role("link", name="Français").click()
    page.wait_for_url(re.compile(r"lang=fr"))
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.locator("#results-title")).to_have_text(f"{english} résultats")
    page.goto("/")  # the choice is remembered
    expect(page.get_by_role("heading", level=1)).to_have_text("Trouver des données géographiques")


def test_phone_width_has_no_sideways_scrolling(browser: Browser, webui_site: Site) -> None:
    context = browser.new_context(base_url=webui_site.url, viewport=PHONE, is_mobile=True)
    page = context.new_page()
    try:
        for path in ("/", "/search?q=eau"):
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (path, width)
        page.get_by_role("link", name=re.compile(r"Go to the \d+ results")).click()
        assert page.evaluate("window.scrollY") > 0  # past the filters, to the results
        screenshot(page, "search-phone")
    finally:
        context.close()


def test_the_search_box_offers_completions(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Search the catalogues").press_sequentially("zones h", delay=30)
    options = page.locator("#q-suggestions option")
    expect(options.first).to_be_attached()
    values = [options.nth(i).get_attribute("value") or "" for i in range(options.count())]
    assert any(v.lower().startswith("zones h") for v in values), values
