"""The home page in a real browser: served, styled by our own files, searchable."""

from __future__ import annotations

from playwright.sync_api import Page

from testkit.browser import screenshot


def test_the_home_page_loads_with_its_search_box(page: Page) -> None:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto("/")
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("search").is_visible()
    assert page.get_by_label("Search the catalogues").is_visible()
    assert page.evaluate("typeof window.htmx") == "object"  # the vendored htmx ran
    assert errors == []  # nothing blocked by the CSP, no script error
    screenshot(page, "home")
