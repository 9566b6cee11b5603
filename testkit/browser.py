"""Browser tests in real Chromium: Debian's `chromium` driven by Playwright for Python (no
browser download; scripts/test.sh installs both), against the real app on a free loopback
port over a fresh store harvested from the bundled samples.

Use from a conftest (tests/browser/conftest.py does) with
`from testkit.browser import *  # noqa: F403`; the fixtures:

- `webui_site`: a `Site` (base URL, settings, store) for the whole session: the samples
  harvested by the real `moisson harvest` with geOrchestra identity on (the sec-* headers are
  trusted from 127.0.0.1, as behind the gateway), served by werkzeug in a thread.
- `browser`: one Chromium for the session (`CHROMIUM`, headless).
- `page`: a fresh context and page per test, anonymous, base URL set: `page.goto("/")`.
- `login(page, "admin" | "staff" | "anonymous")`: identity for the page's next requests.
- `screenshot(page, name)`: docs/screenshots/<name>.png (for the README) and
  var/artifacts/<name>.png (the CI artefact).

Without chromium or playwright the tests skip with the reason; under CI=true they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from indexer.backends import build_backend
from indexer.store import Store
from moisson.config import Settings, load_settings
from pipeline.cli import main
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.gateway import GATEWAY_COOKIE, GatewayMiddleware

__all__ = [
    "ADMIN_ROLE",
    "CHROMIUM",
    "MIRROR_NAME",
    "PHONE",
    "ROLES",
    "VENDOR",
    "Site",
    "browser",
    "harvested_samples",
    "login",
    "page",
    "screenshot",
    "webui_site",
]

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
VENDOR = ROOT / "webui" / "static" / "vendor"
SCREENSHOTS = ROOT / "docs" / "screenshots"
ARTIFACTS = ROOT / "var" / "artifacts"
CHROMIUM = os.environ.get("MOISSON_TEST_CHROMIUM", "/usr/bin/chromium")
ADMIN_ROLE = "ROLE_MOISSON_ADMIN"
ROLES = {
    "admin": {"sec-username": "ada", "sec-roles": f"ROLE_USER;{ADMIN_ROLE}", "sec-org": "DREAL"},
    "staff": {"sec-username": "sam", "sec-roles": "ROLE_USER", "sec-org": "DREAL"},
    "anonymous": {},
}
PHONE = {"width": 375, "height": 740}
MIRRORED = "fr-zones-humides-vilaine-ofb.xml"
MIRROR_ID = "mirror-csw"
MIRROR_NAME = "Regional mirror (fictional)"

_IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _require(condition: bool, reason: str) -> None:
    """tests.conftest.require's rule, here so that testkit does not import tests."""
    if condition:
        return
    if _IN_CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class Site:
    url: str
    settings: Settings
    store: Store


def harvested_samples(folder: Path) -> Settings:
    """The demo's config on a copy of the samples, every source harvested. One more source,
    a "regional mirror" republishing one sample record (MIRRORED), so the catalogue has a
    duplicate published by two sources ("also published by")."""
    shutil.copytree(SAMPLES, folder, dirs_exist_ok=True)
    mirror = folder / "mirror"
    mirror.mkdir()
    shutil.copyfile(SAMPLES / "csw" / MIRRORED, mirror / MIRRORED)
    config = folder / "moisson.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        "[[sources]]",
        f'[[sources]]\nid = "{MIRROR_ID}"\nkind = "csw"\nurl = "file:mirror"\n'
        f'name = "{MIRROR_NAME}"\n\n[[sources]]',
        1,
    )
    text += (
        '\n[auth]\nmode = "georchestra"\ntrusted_proxies = ["127.0.0.1"]\n'
        f'admin_roles = ["{ADMIN_ROLE}"]\n'
    )
    config.write_text(text, encoding="utf-8")
    assert main(["--config", str(config), "harvest"]) == 0, "harvesting the samples failed"
    return load_settings(config)


@pytest.fixture(scope="session")
def webui_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _require(
        (VENDOR / "htmx.min.js").is_file(),
        f"front-end libraries not built in {VENDOR}: run scripts/build_frontend.sh",
    )
    settings = harvested_samples(tmp_path_factory.mktemp("webui-samples"))
    backend = build_backend(settings.index.url)
    with Store(settings.store.url) as store:
        backend.open()
        try:
            # The gateway stand-in signs each browser context in from its cookie (see login).
            runtime = Runtime(settings, store=store, backend=backend)
            app = GatewayMiddleware(create_app(runtime), ROLES)
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                yield Site(f"http://127.0.0.1:{server.server_port}", settings, store)
            finally:
                server.shutdown()
                thread.join(timeout=10)
        finally:
            backend.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    _require(
        Path(CHROMIUM).is_file(),
        f"no Chromium at {CHROMIUM} (apt-get install chromium; scripts/test.sh does it)",
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser, webui_site: Site) -> Iterator[Page]:
    """A fresh anonymous page (own cookies) whose relative URLs go to the live site."""
    context = browser.new_context(base_url=webui_site.url, locale="en-GB")
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def login(page: Page, role: str) -> None:
    """Sign the page's context in as `role` (admin, staff, anonymous) from now on: the
    gateway stand-in adds that role's sec-* headers to every request, scripts and htmx calls
    included (Chromium refuses to send sec-* headers itself: testkit/gateway.py says why)."""
    page.context.add_cookies(
        [{"name": GATEWAY_COOKIE, "value": role, "domain": "127.0.0.1", "path": "/"}]
    )


def screenshot(page: Page, name: str) -> Path:
    """Save the page as var/artifacts/<name>.png (the CI artefact, every run) and as
    docs/screenshots/<name>.png when that one is missing or UPDATE_DOCS_SCREENSHOTS=1: dates
    and counts on the pages change a few pixels per run, and a test run must leave the
    checkout clean."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    artefact = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(artefact), full_page=True)
    target = SCREENSHOTS / artefact.name
    if not target.exists() or os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(artefact, target)
    return artefact


SERIOUS = {"serious", "critical"}


def serious_axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.x A/AA violations axe-core finds on the page. axe comes
    from our own /static/vendor (same origin: the pages' CSP lets it in)."""
    page.add_script_tag(url="/static/vendor/axe.min.js")
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
