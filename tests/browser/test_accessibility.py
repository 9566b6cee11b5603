"""axe-core (webui/static/vendor/axe.min.js, from the npm lockfile) on every search page in
real Chromium: no serious or critical violation of WCAG 2.x A/AA rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from testkit.browser import Site, serious_axe_violations


@pytest.fixture
def axe_page(browser: Browser, webui_site: Site) -> Iterator[Page]:
    context = browser.new_context(base_url=webui_site.url)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def _first_record(page: Page) -> str:
    page.goto("/search?q=zones+humides+vilaine")
    href = page.locator("li.hit h3 a").first.get_attribute("href")
    assert href
    return href


@pytest.mark.parametrize(
    "path",
    ["/", "/search?q=eau", "/search?theme=water&lang=fr", "/search?west=1", "record"],
)
def test_no_serious_accessibility_violation(axe_page: Page, path: str) -> None:
    target = _first_record(axe_page) if path == "record" else path
    axe_page.goto(target)
    axe_page.wait_for_load_state("networkidle")
    assert serious_axe_violations(axe_page) == []
