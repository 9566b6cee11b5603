"""The web interface as search_api/app.py mounts it.

- `BLUEPRINTS`: every page blueprint (made with webui.pages.page_blueprint); create_app
  registers each one. Each area adds its own line.
- `NAV`: the entries of the top navigation (admin-only ones hidden from everyone else).
- `install(app)`: templates, static files and the hooks every page needs: CSRF check on
  unsafe methods, the language cookie, a strict Content-Security-Policy (only our own
  scripts and styles run, whatever a harvested record holds).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, request, url_for
from werkzeug.routing import BuildError

from search_api.state import state
from webui import admin, csrf, dashboard, home, record_page, search_page
from webui.i18n import locale, remember_locale, t
from webui.identity import current_user

__all__ = ["BLUEPRINTS", "NAV", "STATIC_DIR", "TEMPLATE_DIR", "NavItem", "install"]

ROOT = Path(__file__).resolve().parent
TEMPLATE_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"

BLUEPRINTS: list[Blueprint] = [
    home.blueprint,
    search_page.blueprint,
    record_page.blueprint,
    admin.blueprint,
    dashboard.blueprint,
]


@dataclass(frozen=True)
class NavItem:
    label: str  # message key
    endpoint: str
    admin_only: bool = False


NAV: list[NavItem] = [
    NavItem("common.nav.search", "webui_home.home"),
    NavItem("common.nav.workbench", "webui_admin.overview", admin_only=True),
    NavItem("common.nav.dashboard", "webui_dashboard.dashboard", admin_only=True),
]

CSP = (
    "default-src 'self'; img-src 'self' data:{tiles}; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def content_security_policy(tile_url: str | None) -> str:
    """Our own files only; map tiles from the configured tile server's origin, if any."""
    if not tile_url:
        return CSP.format(tiles="")
    parts = urlsplit(tile_url)
    host = parts.netloc.replace("{s}", "*")  # Leaflet's subdomain placeholder
    return CSP.format(tiles=f" {parts.scheme}://{host}")


def _is_page() -> bool:
    names = {blueprint.name for blueprint in BLUEPRINTS}
    return any(name in names for name in request.blueprints)


def nav_items() -> list[dict[str, Any]]:
    """The navigation the caller may use, with the current entry marked."""
    admin = current_user().admin
    items = []
    for item in NAV:
        if item.admin_only and not admin:
            continue
        try:
            href = url_for(item.endpoint)
        except BuildError:  # an area not mounted in this build
            continue
        items.append(
            {"label": t(item.label), "href": href, "current": request.endpoint == item.endpoint}
        )
    return items


def url_with(**changes: Any) -> str:
    """The current page's URL with some query parameters replaced (None removes one)."""
    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value if isinstance(value, list) else [str(value)]
    return url_for(request.endpoint or "webui_home.home", **(request.view_args or {}), **args)


def _before() -> None:
    if _is_page():
        csrf.check()


def _after(response: Response) -> Response:
    if _is_page():
        tile_url = state().settings.webui.tile_url
        response.headers["Content-Security-Policy"] = content_security_policy(tile_url)
        csrf.set_cookie(response)
        remember_locale(response)
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def install(app: Flask) -> None:
    """Templates, helpers and hooks of the web interface (create_app calls it once)."""
    app.jinja_env.globals.update(
        t=t,
        lang=locale,
        csrf_field=csrf.csrf_field,
        csrf_token=csrf.csrf_token,
        current_user=current_user,
        nav_items=nav_items,
        url_with=url_with,
    )
    app.before_request(_before)
    app.after_request(_after)
