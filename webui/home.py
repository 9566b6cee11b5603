"""GET /: the search home page (themes as entry points, the search box)."""

from __future__ import annotations

from webui.pages import page_blueprint, render_page

__all__ = ["blueprint"]

blueprint = page_blueprint("webui_home", __name__)


@blueprint.get("/")
def home() -> tuple[str, int]:
    return render_page("home.html")
