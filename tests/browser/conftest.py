"""Browser tests: real Chromium against the live app over the harvested samples
(testkit/browser.py holds the fixtures)."""

from testkit.browser import browser, login, page, screenshot, webui_site

__all__ = ["browser", "login", "page", "screenshot", "webui_site"]
