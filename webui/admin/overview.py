"""`/admin/`: the workbench's front page: what waits for an admin in each area."""

from __future__ import annotations

from pipeline.retirement import reviews
from search_api.state import state
from search_api.themes import current_themer
from webui.admin.base import blueprint
from webui.pages import render_page

__all__: list[str] = []


@blueprint.get("/")
def overview() -> tuple[str, int]:
    app = state()
    return render_page(
        "admin/overview.html",
        clusters=len({cluster for cluster, _ in app.clusters.membership().values()}),
        held=len(reviews(app.store, "pending")),
        quarantined=len(app.store.quarantined(limit=1000, include_resolved=False)),
        rules=len(current_themer().rules.rules),
        sources=len(app.settings.sources),
    )
