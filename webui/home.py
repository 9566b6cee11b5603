"""GET /: the search home page: the company themes as tiles with their record counts (the
top-level concepts of the thesaurus, through the same function as GET /api/themes), and the
search box with completions (the /api/suggest logic, as an htmx fragment).

GET /themes.css: the tiles' colours (webui/theme_styles.py), a stylesheet rather than
inline styles so the CSP stays strict.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from search_api.auth import query_roles
from search_api.search import SUGGEST_MAX_LENGTH, search_service
from search_api.state import state
from search_api.themes import theme_tree
from webui.i18n import locale
from webui.pages import page_blueprint, render_page
from webui.theme_styles import style_of, stylesheet

__all__ = ["blueprint"]

blueprint = page_blueprint("webui_home", __name__)

SUGGESTIONS = 8


def theme_tiles() -> tuple[int, list[dict[str, Any]]]:
    """(records the caller may see, one tile per top-level theme)."""
    tree = theme_tree({"lang": [locale()]})
    settings = state().settings.webui
    tiles = []
    for top in tree["themes"]:
        style = style_of(top["id"], settings)
        tiles.append({**top, "icon": style.icon, "css": f"theme-{top['id']}"})
    return tree["total"], tiles


@blueprint.get("/")
def home() -> tuple[str, int]:
    total, tiles = theme_tiles()
    return render_page("home.html", total=total, tiles=tiles)


@blueprint.get("/search/suggest")
def suggest() -> tuple[str, int]:
    """Completions of `q` as <option> elements for the search box's datalist."""
    prefix = request.args.get("q", "").strip()[:SUGGEST_MAX_LENGTH]
    found: list[str] = []
    if prefix and "suggest" in state().backend.capabilities:
        found = search_service().suggest(prefix, SUGGESTIONS, query_roles())
    return render_page("suggestions.html", suggestions=found)


@blueprint.get("/themes.css")
def themes_css() -> Response:
    ids = [top for top in state().themer.thesaurus.tops()]
    response = Response(stylesheet(ids, state().settings.webui), mimetype="text/css")
    response.cache_control.max_age = 300
    return response
