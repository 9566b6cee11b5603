"""axe-core (webui/static/vendor/axe.min.js, from the npm lockfile) on every search page in
real Chromium: no serious or critical violation of WCAG 2.x A/AA rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from testkit.browser import VENDOR, Site

SERIOUS = {"serious", "critical"}


@pytest.fixture
def axe_page(browser: Browser, webui_site: Site) -> Iterator[Page]:
    # Injecting axe is an inline script: this context only lets it past the pages' CSP.
    context = browser.new_context(base_url=webui_site.url, bypass_csp=True)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def _violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(VENDOR / "axe.min.js"))
    result: dict[str, Any] = page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
        })"""
    )
    assert len(result["passes"]) > 10  # axe really checked the page
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]


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
    assert _violations(axe_page) == []
