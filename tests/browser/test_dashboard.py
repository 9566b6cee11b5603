"""The activity dashboard in real Chromium, as an admin reads it: every chart drawn by the
vendored Chart.js on its canvas, the figures of the tables equal to the store's, no script
error under the CSP, no serious axe-core violation, and the screenshot for the README."""

from __future__ import annotations

from playwright.sync_api import Page

from testkit.browser import Site, login, screenshot, serious_axe_violations


def _errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def _searched(page: Page) -> None:
    """Search through the API, then read the dashboard until the search log's background
    writer (every 5 s by default) has written the counts."""
    for q in ("eau", "Orthophotographie Bretagne", "orthophotographie  bretagne", "qwxzy"):
        assert page.request.get("/api/search", params={"q": q}).ok
    for _ in range(60):
        page.goto("/dashboard?days=30")
        # Other tests' searches may already fill the table: wait for these ones.
        if page.locator("#top-searches th", has_text="orthophotographie bretagne").count():
            return
        page.wait_for_timeout(500)
    raise AssertionError("the searches never reached the dashboard")


def test_an_admin_reads_the_dashboard(page: Page, webui_site: Site) -> None:
    errors = _errors(page)
    page.emulate_media(reduced_motion="reduce")  # charts drawn at once: a still screenshot
    login(page, "admin")
    _searched(page)
    rows = page.locator("#top-searches tbody tr")
    top = {rows.nth(n).locator("th").inner_text(): rows.nth(n).locator("td").first.inner_text()
           for n in range(rows.count())}  # fmt: skip
    assert top.get("orthophotographie bretagne", "").isdigit()  # other tests may search too
    assert int(top["orthophotographie bretagne"]) >= 2
    assert "qwxzy" in page.locator("#no-result-searches").inner_text()
    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() >= 5
    for n in range(canvases.count()):
        canvas = canvases.nth(n)
        if canvas.get_attribute("data-chart") == "records-by-theme" and not canvas.is_visible():
            continue  # no theme at all: nothing to draw
        canvas.wait_for(state="visible")
        assert int(canvas.get_attribute("data-drawn") or 0) >= 1  # Chart.js drew its series
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
    # The tables say what the store holds.
    counts = webui_site.store.record_counts_by_source()
    active = sum(c["records"] for c in counts.values())
    assert page.locator("#total-records").inner_text().replace(",", "") == str(active)
    names = {s.id: s.name or s.id for s in webui_site.settings.sources}
    rows = page.locator("#coverage-table tbody tr")
    shown = {
        rows.nth(n).locator("th").inner_text(): rows.nth(n).locator("td").first.inner_text()
        for n in range(rows.count())
    }
    assert shown == {names.get(s, s): f"{c['records']:,}" for s, c in counts.items()} | {
        names[s]: "0" for s in names if s not in counts
    }
    last = page.locator("#records-by-source-table tbody tr").last
    assert sum(int(c.replace(",", "")) for c in last.locator("td").all_inner_texts()) == active
    assert errors == []
    screenshot(page, "dashboard")


def test_the_dashboard_has_no_serious_accessibility_violation(page: Page) -> None:
    login(page, "admin")
    page.goto("/dashboard?days=365")
    page.locator("canvas[data-chart='runs']").wait_for(state="visible")
    assert serious_axe_violations(page) == []


def test_staff_get_a_403_page_in_the_browser(page: Page) -> None:
    login(page, "staff")
    response = page.goto("/dashboard")
    assert response is not None and response.status == 403
    assert page.locator("h1").is_visible()


def test_without_javascript_the_tables_are_the_page(page: Page, webui_site: Site) -> None:
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(base_url=webui_site.url, java_script_enabled=False)
    try:
        plain = context.new_page()
        login(plain, "admin")
        response = plain.goto("/dashboard")
        assert response is not None and response.status == 200
        assert plain.locator("canvas[data-chart]").first.is_hidden()
        assert plain.locator("#records-by-source-table").is_visible()
        assert plain.locator("#runs-table tbody tr").count() == 30
        plain.select_option("#days", "7")  # the period form works without a script
        plain.get_by_role("button", name="Show").click()
        plain.wait_for_url("**/dashboard?days=7")
        assert plain.locator("#runs-table tbody tr").count() == 7
    finally:
        context.close()


def test_at_phone_width_nothing_overflows_the_page(page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.emulate_media(reduced_motion="reduce")
    login(page, "admin")
    page.goto("/dashboard")
    page.locator("canvas[data-chart='runs']").wait_for(state="visible")
    # Wide tables scroll inside their own region; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
