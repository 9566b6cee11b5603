"""The admin workbench in real Chromium, as an admin behind the geOrchestra gateway: map an
unmapped keyword with a preview then apply it and see the record's theme change in search;
split a duplicate cluster; approve a held retirement; every workbench page passes axe-core
with no serious or critical violation. Screenshots: docs/screenshots/admin-*.png.

The site is the app over testkit/admin_catalogue.py (the samples plus a quarantined file
and a held retirement), served on a free loopback port like testkit/browser.py's site.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from indexer.cluster_review import review_queue
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.admin_catalogue import LEGACY, admin_settings, build_admin_catalogue
from testkit.browser import ADMIN_ROLE, ROLES, VENDOR, screenshot, serious_axe_violations
from testkit.gateway import GatewayMiddleware, gateway_cookie
from tests.conftest import require


@dataclass(frozen=True)
class AdminSite:
    url: str
    runtime: Runtime


@pytest.fixture(scope="module")
def admin_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminSite]:
    require(
        (VENDOR / "htmx.min.js").is_file(),
        f"front-end libraries not built in {VENDOR}: run scripts/build_frontend.sh",
    )
    folder: Path = tmp_path_factory.mktemp("admin-browser")
    settings = admin_settings(
        folder,
        auth={"mode": "georchestra", "trusted_proxies": ["127.0.0.1"], "admin_roles": [ADMIN_ROLE]},
    )
    with Runtime(settings) as runtime:
        build_admin_catalogue(runtime, folder)
        app = GatewayMiddleware(create_app(runtime), ROLES)  # signs people in, as geOrchestra
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield AdminSite(f"http://127.0.0.1:{server.server_port}", runtime)
        finally:
            server.shutdown()
            thread.join(timeout=10)


@pytest.fixture
def admin(browser: Browser, admin_site: AdminSite) -> Iterator[Page]:
    """A page signed in as an admin, watching for script and CSP errors."""
    context = browser.new_context(base_url=admin_site.url, locale="en-GB")
    context.add_cookies([gateway_cookie(admin_site.url, "admin")])  # type: ignore[list-item]
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield opened
        assert errors == []
    finally:
        context.close()


def test_map_an_unmapped_keyword_then_see_the_theme_in_search(
    admin: Page, admin_site: AdminSite
) -> None:
    admin.goto("/admin/themes")
    expect(admin.get_by_role("heading", name="Unmapped keywords")).to_be_visible()
    screenshot(admin, "admin-theme-mapping")
    first_map = admin.get_by_role("link", name=re.compile(r"^Map ")).first
    first_map.click()
    expect(admin.get_by_role("heading", name="New mapping rule")).to_be_visible()
    keyword = admin.get_by_label("Keyword, pattern or source id").input_value()
    assert keyword
    admin.get_by_label("Filter the concepts (English or French)").fill("énergie")
    expect(admin.locator("#concept-energy")).to_be_visible()
    expect(admin.locator("#concept-wetlands")).to_be_hidden()  # the filter narrowed the tree
    admin.get_by_label(re.compile(r"^Energy")).check()
    admin.get_by_label("Comment").fill("Browser test: this keyword is about energy")
    admin.get_by_role("button", name="Preview").click()
    expect(admin.get_by_role("heading", name="Preview")).to_be_visible()
    gaining = admin.locator("table.changes tbody tr")
    assert gaining.count() >= 1
    record_id = gaining.first.locator("code").inner_text()
    store = admin_site.runtime.store
    assert "energy" not in {t.id for t in store.get(record_id).themes}
    screenshot(admin, "admin-rule-preview")

    admin.get_by_role("button", name="Apply the rule").click()
    expect(admin.get_by_role("status")).to_contain_text("applied")
    assert "energy" in {t.id for t in store.get(record_id).themes}

    # Search (the JSON API the pages use, with this browser's session) files it under Energy.
    answer = admin.context.request.get("/api/search?theme=energy&size=100&collapse=false")
    assert answer.ok
    assert record_id in {hit["id"] for hit in answer.json()["hits"]}


def test_split_a_cluster(admin: Page, admin_site: AdminSite) -> None:
    runtime = admin_site.runtime
    top = review_queue(runtime.clusters, runtime.store, "size")[0]
    view = runtime.clusters.cluster(top.id)
    assert view is not None
    moving = next(m for m in view.members if m != view.canonical)
    admin.goto("/admin/duplicates")
    screenshot(admin, "admin-duplicates")
    admin.get_by_role("link", name=top.title).click()
    expect(admin.get_by_role("table", name=re.compile("side by side"))).to_be_visible()
    screenshot(admin, "admin-cluster")
    admin.locator(f'input[name="record_ids"][value="{moving}"]').check()
    admin.get_by_label("Note (optional)").first.fill("a republication with other polygons")
    admin.get_by_role("button", name="Split them out").click()
    expect(admin.get_by_role("status")).to_contain_text("Cluster split")
    assert runtime.clusters.cluster_of(moving) is None


def test_approve_a_held_retirement(admin: Page, admin_site: AdminSite) -> None:
    store = admin_site.runtime.store
    [review] = store.retirement_reviews("pending")
    admin.goto("/admin/retirements")
    section = admin.get_by_role("region", name=re.compile(f"Review {review['id']}"))
    expect(section.locator("tbody tr")).to_have_count(len(review["record_ids"]))
    screenshot(admin, "admin-retirements")
    section.get_by_role("button", name=re.compile("^Approve")).click()
    expect(admin.get_by_role("status")).to_contain_text("approved")
    assert store.retirement_reviews("pending") == []
    assert {r["id"] for r in store.retired_records(LEGACY)} == set(review["record_ids"])


def test_harvest_now_follows_the_run_live(admin: Page, admin_site: AdminSite) -> None:
    admin.goto("/admin/harvesting")
    screenshot(admin, "admin-harvesting")
    admin.get_by_role("button", name="Harvest now sample-ckan").click()
    progress = admin.locator("#run-progress")
    expect(progress).to_contain_text("complete", timeout=30_000)  # htmx polled the run
    expect(progress).not_to_have_attribute("hx-trigger", "every 1s")


def test_every_workbench_page_passes_axe(admin: Page, admin_site: AdminSite) -> None:
    runtime = admin_site.runtime
    cluster = review_queue(runtime.clusters, runtime.store)[0].id
    entry = runtime.store.quarantined()[0]["id"]
    pages = ["/admin/", "/admin/themes", "/admin/themes/rule?keyword=x", "/admin/thesaurus",
             "/admin/duplicates", f"/admin/duplicates/{cluster}", "/admin/harvesting",
             "/admin/harvesting/runs", "/admin/quarantine", f"/admin/quarantine/{entry}",
             "/admin/retirements?status=all"]  # fmt: skip
    for path in pages:
        admin.goto(path)
        assert serious_axe_violations(admin) == [], path
    admin.goto("/admin/thesaurus")
    screenshot(admin, "admin-thesaurus")
    admin.goto(f"/admin/quarantine/{entry}")
    screenshot(admin, "admin-quarantine")
    admin.set_viewport_size({"width": 375, "height": 740})
    admin.goto("/admin/harvesting")
    assert serious_axe_violations(admin) == []
    screenshot(admin, "admin-harvesting-phone")
