"""The dashboard's figures as the page shows them: one `Chart` per figure (title, x labels,
series with labels in the reader's language) that the template renders twice, as a Chart.js
canvas (webui/static/js/dashboard.js reads the same data as JSON) and as the data table
under it, which is also the whole view without JavaScript."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from indexer.dashboard import Dashboard, Series
from webui.i18n import t

__all__ = ["Chart", "Line", "chart_data", "charts", "number", "percent"]

# Okabe-Ito: told apart with every common colour-vision deficiency, dark enough on white.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
RUN_COLOURS = {"ok": "#009e73", "partial": "#e69f00", "failed": "#d55e00"}


@dataclass(frozen=True)
class Line:
    """One series: its label and a value per x label; `colour` for the canvas."""

    label: str
    values: list[float]
    colour: str


@dataclass(frozen=True)
class Chart:
    """One figure: `kind` line or bar (`stacked` bars add up), the x labels and the header
    of the table's first column; `percent` when values are shares in per cent."""

    id: str
    title: str
    kind: str
    axis: str
    labels: list[str]
    lines: list[Line]
    stacked: bool = False
    percent: bool = False


def number(value: float, lang: str) -> str:
    """12,345 (en) / 12 345 (fr), one decimal for fractions."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def percent(share: float, lang: str) -> str:
    """A 0..1 share as per cent with one decimal: 87.5 % (en) / 87,5 % (fr)."""
    text = f"{100 * share:.1f}"
    return f"{text.replace('.', ',') if lang == 'fr' else text}\u00a0%"


def _lines(series: list[Series], colours: dict[str, str] | None = None) -> list[Line]:
    return [
        Line(s.label, [float(v) for v in s.values], (colours or {}).get(s.key)
             or PALETTE[n % len(PALETTE)])
        for n, s in enumerate(series)
    ]  # fmt: skip


def charts(figures: Dashboard) -> list[Chart]:
    """Every chart of the dashboard, in page order."""
    when = figures.period
    axis = t(f"dashboard.step.{when.step}")
    steps = when.labels()
    runs = [Series(s.key, t(f"dashboard.runs.{s.key}"), s.values) for s in figures.runs]
    searches = [Series(s.key, t(f"dashboard.searches.{s.key}"), s.values) for s in figures.searches]
    names = [row.name for row in figures.sources]
    source_axis = t("dashboard.source")
    return [
        Chart("records-by-source", t("dashboard.records_by_source"), "line", axis, steps,
              _lines(figures.records_by_source)),
        Chart("records-by-theme", t("dashboard.records_by_theme"), "line", axis, steps,
              _lines(figures.records_by_theme)),
        Chart("runs", t("dashboard.runs.title"), "bar", axis, steps, _lines(runs, RUN_COLOURS),
              stacked=True),
        Chart("theme-coverage", t("dashboard.theme_coverage"), "bar", source_axis, names,
              [Line(t("dashboard.with_themes_share"),
                    [round(100 * r.theme_share, 1) for r in figures.sources], PALETTE[0])],
              percent=True),
        Chart("duplicate-share", t("dashboard.duplicate_share"), "bar", source_axis, names,
              [Line(t("dashboard.redundant_share"),
                    [round(100 * r.duplicate_share, 1) for r in figures.sources], PALETTE[1])],
              percent=True),
        Chart("searches", t("dashboard.searches.title"), "line", axis, steps,
              _lines(searches, {"searches": PALETTE[0], "no_result": PALETTE[1]})),
    ]  # fmt: skip


def chart_data(shown: list[Chart]) -> dict[str, Any]:
    """What dashboard.js draws, by chart id (JSON in the page: no inline script)."""
    return {chart.id: asdict(chart) for chart in shown}
