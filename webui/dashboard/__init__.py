"""GET /dashboard: the activity dashboard, for admins only (it shows what people search
for). Records per source and theme over time, harvest runs by outcome, theme coverage and
duplicate share per source, searches with and without result; each chart drawn by Chart.js
over an accessible data table, the whole page readable without JavaScript. The figures are
indexer/dashboard.py's; the period comes from `?days=` (7, 30, 90 or 365; 30 by default)."""

from __future__ import annotations

from flask import current_app, request

from indexer.dashboard import PERIODS, ThemeHistoryCache, build_dashboard
from moisson.errors import BadQuery
from search_api.state import state
from webui.dashboard.charts import chart_data, charts, number, percent
from webui.i18n import locale
from webui.identity import require_admin_page
from webui.pages import page_blueprint, render_page

__all__ = ["DEFAULT_DAYS", "blueprint"]

blueprint = page_blueprint("webui_dashboard", __name__)

DEFAULT_DAYS = 30
_CACHE = "moisson.dashboard.themes"


def _days() -> int:
    value = request.args.get("days", str(DEFAULT_DAYS)).strip()
    if not value.isdigit() or int(value) not in PERIODS:
        choices = ", ".join(str(p) for p in PERIODS)
        raise BadQuery(f"days must be one of {choices}")
    return int(value)


def _theme_cache() -> ThemeHistoryCache:
    """The app's theme history (read again in the background when records change)."""
    cache = current_app.extensions.get(_CACHE)
    if cache is None:
        cache = current_app.extensions.setdefault(_CACHE, ThemeHistoryCache())
    return cache  # type: ignore[no-any-return]


@blueprint.get("/dashboard")
def dashboard() -> tuple[str, int]:
    require_admin_page()
    days = _days()
    runtime = state()
    lang = locale()
    concepts = runtime.themer.thesaurus.concepts
    languages = runtime.settings.themes.languages

    def theme_label(concept_id: str) -> str:
        concept = concepts.get(concept_id)
        return concept.pref(lang, languages) if concept is not None else concept_id

    figures = build_dashboard(
        runtime.store,
        days=days,
        sources={s.id: s.name or s.id for s in runtime.settings.sources},
        theme_label=theme_label,
        history=_theme_cache().get(runtime.store),
    )
    shown = charts(figures)
    return render_page(
        "dashboard.html",
        figures=figures,
        charts=shown,
        data=chart_data(shown),
        periods=PERIODS,
        days=days,
        number=lambda value: number(value, lang),
        percent=lambda share: percent(share, lang),
    )
