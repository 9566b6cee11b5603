"""The activity dashboard's figures, over a period, from the store alone (no index query):

- records per source and per theme over time: records active at the end of each step
  (first seen on or before it, not retired by then), from the records' first-seen and
  retirement dates. Themes are the ones records are filed under today (a theme's history is
  not kept), so a mapping change shows as a step, not a slope;
- harvest runs per step by outcome (ok = complete or unchanged; partial; failed or
  interrupted);
- theme coverage per source: share of active records with at least one theme, and how many
  distinct themes the source's records use;
- duplicate share: records in a duplicate cluster, and the redundant copies (members beyond
  each cluster's canonical one) as a share of all active records, in all and per source;
- searches per step, with and without result, the most frequent searches, those that found
  nothing and the filters used (the search log, indexer/search_log.py).

The period is cut into steps of a day (up to 31 days), a week (up to 183) or a month, so a
chart and its table stay readable. Shaping only: the SQL is indexer/store/trends.py's,
search_log.py's and activity.py's.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from indexer.store import Store
from indexer.store.search_log import LoggedSearch
from indexer.store.trends import RecordGrowth, ThemeHistory

__all__ = [
    "PERIODS",
    "Dashboard",
    "Period",
    "Series",
    "SourceFigures",
    "ThemeHistoryCache",
    "build_dashboard",
    "period",
]

logger = logging.getLogger(__name__)

PERIODS = (7, 30, 90, 365)  # the period selector's choices, in days
THEMES_SHOWN = 8  # themes drawn over time (the largest today)
TOP_SEARCHES = 10

Step = Literal["day", "week", "month"]


@dataclass(frozen=True)
class Period:
    """The days shown (`start`..`end`, both included) and the steps they are cut into."""

    days: int
    start: date
    end: date
    step: Step
    steps: list[date]  # the first day of each step (the first is `start`)

    def labels(self) -> list[str]:
        """A label per step: the day, the week's Monday, or the month."""
        if self.step == "month":
            return [d.strftime("%Y-%m") for d in self.steps]
        return [d.isoformat() for d in self.steps]

    def index(self, day: date) -> int:
        """The step holding `day`: -1 before the period, len(steps) after it."""
        if day < self.start:
            return -1
        if day > self.end:
            return len(self.steps)
        if self.step == "day":
            return (day - self.start).days
        if self.step == "week":  # the first step runs from `start` to its week's Sunday
            return (day - (self.start - timedelta(days=self.start.weekday()))).days // 7
        return (day.year - self.start.year) * 12 + day.month - self.start.month


def period(days: int, today: date) -> Period:
    """The last `days` days up to `today`, cut into steps (see the module docstring)."""
    if days < 1:
        raise ValueError("a period has at least one day")
    start = today - timedelta(days=days - 1)
    step: Step = "day" if days <= 31 else "week" if days <= 183 else "month"
    steps = [start]
    if step == "week":
        monday = start - timedelta(days=start.weekday())
        steps += [monday + timedelta(weeks=n) for n in range(1, (today - monday).days // 7 + 1)]
    elif step == "month":
        month = start.replace(day=1)
        while True:
            month = (month + timedelta(days=32)).replace(day=1)
            if month > today:
                break
            steps.append(month)
    else:
        steps += [start + timedelta(days=n) for n in range(1, days)]
    return Period(days, start, today, step, steps)


@dataclass(frozen=True)
class Series:
    """One line or bar set of a chart: `key` (a source, theme or fixed name), its label and
    a value per step of the period."""

    key: str
    label: str
    values: list[int]


@dataclass(frozen=True)
class SourceFigures:
    """One source's row of the coverage and duplicate tables."""

    id: str
    name: str
    records: int
    with_themes: int
    themes_used: int
    clustered: int
    redundant: int

    @property
    def theme_share(self) -> float:
        return round(self.with_themes / self.records, 4) if self.records else 0.0

    @property
    def duplicate_share(self) -> float:
        return round(self.redundant / self.records, 4) if self.records else 0.0


@dataclass(frozen=True)
class Dashboard:
    """Every figure of the dashboard for one period (see the module docstring)."""

    period: Period
    records_by_source: list[Series]
    records_by_theme: list[Series]
    runs: list[Series]  # keys: ok, partial, failed
    searches: list[Series]  # keys: searches, no_result
    sources: list[SourceFigures]
    top_searches: list[LoggedSearch]
    no_result_searches: list[LoggedSearch]
    filters: list[tuple[str, int]]  # filter field -> searches that used it, most used first
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def duplicate_share(self) -> float:
        records = self.totals.get("records", 0)
        return round(self.totals.get("redundant", 0) / records, 4) if records else 0.0


def _cumulative(base: int, changes: list[int]) -> list[int]:
    out, running = [], base
    for change in changes:
        running += change
        out.append(running)
    return out


def _records_by_source(
    growth: RecordGrowth, when: Period, names: Mapping[str, str]
) -> list[Series]:
    sources = sorted(set(growth.before) | set(names), key=lambda s: names.get(s, s))
    steps = len(when.steps)
    changes = {s: [0] * steps for s in sources}
    base = {s: growth.before.get(s, 0) for s in sources}
    for sign, counts in ((1, growth.added), (-1, growth.retired)):
        for (source, day), count in counts.items():
            if source not in changes:
                continue
            at = when.index(day)
            if at < 0:
                base[source] += sign * count
            elif at < steps:
                changes[source][at] += sign * count
    return [Series(s, names.get(s, s), _cumulative(base[s], changes[s])) for s in sources]


@dataclass
class _ThemeFigures:
    """The theme history shaped for a period: per theme its count before the period, its
    changes per step, and its active records now."""

    base: Counter[str] = field(default_factory=Counter)
    changes: dict[str, list[int]] = field(default_factory=dict)
    active: Counter[str] = field(default_factory=Counter)


def _theme_figures(history: ThemeHistory, when: Period) -> _ThemeFigures:
    figures = _ThemeFigures()
    steps = len(when.steps)
    for (theme, first_seen, retired), count in history.dated.items():
        if retired is None:
            figures.active[theme] += count
        first = when.index(first_seen)
        gone = when.index(retired) if retired is not None else steps
        if gone < 0 or first >= steps:  # retired before the period, or first seen after
            continue
        changes = figures.changes.get(theme)
        if changes is None:
            changes = figures.changes[theme] = [0] * steps
        if first < 0:
            figures.base[theme] += count
        else:
            changes[first] += count
        if gone < steps:
            changes[gone] -= count
    return figures


class ThemeHistoryCache:
    """The theme history (one pass over every stored record: seconds at 100k records)
    kept between dashboard requests. It is read again when records were added or retired
    (the store's version mark changed) or after `ttl` seconds (theme rewrites do not change
    the mark); meanwhile the last history answers and the new one is read in a background
    thread, so only the first request of a process waits for the pass, and a harvest in
    progress (a new mark at every page) does not make every view pay for it. Thread-safe;
    one per app. `background=False` reads in the request (tests)."""

    def __init__(
        self,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        background: bool = True,
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._background = background
        self._lock = threading.Lock()
        self._kept: tuple[tuple[object, ...], float, ThemeHistory] | None = None
        self._reading: threading.Thread | None = None

    def get(self, store: Store) -> ThemeHistory:
        version = store.records_version()
        with self._lock:
            kept = self._kept
            if kept is not None and kept[0] == version and self._clock() - kept[1] < self.ttl:
                return kept[2]
            if kept is not None and self._background:
                if self._reading is None:
                    self._reading = threading.Thread(
                        target=self._read_in_background,
                        args=(store, version),
                        daemon=True,
                        name="moisson-dashboard-themes",
                    )
                    self._reading.start()
                return kept[2]
        return self._read(store, version)

    def _read(self, store: Store, version: tuple[object, ...]) -> ThemeHistory:
        try:
            history = store.theme_history()
            with self._lock:
                self._kept = (version, self._clock(), history)
            return history
        finally:
            with self._lock:
                if self._reading is threading.current_thread():
                    self._reading = None

    def _read_in_background(self, store: Store, version: tuple[object, ...]) -> None:
        try:
            self._read(store, version)
        except Exception:  # the last history keeps answering; the failure is logged
            logger.exception("reading the theme history for the dashboard failed")

    def wait(self) -> None:
        """Until a background read under way has ended (tests, benchmarks)."""
        with self._lock:
            reading = self._reading
        if reading is not None:
            reading.join()


def _steps_sum(when: Period, by_day: Mapping[date, int]) -> list[int]:
    out = [0] * len(when.steps)
    for day, count in by_day.items():
        at = when.index(day)
        if 0 <= at < len(out):
            out[at] += count
    return out


def _runs(store: Store, when: Period) -> list[Series]:
    groups = {
        "ok": ("complete", "unchanged"),
        "partial": ("partial",),
        "failed": ("failed", "interrupted"),
    }
    found = store.runs_by_day_and_status(datetime.combine(when.start, datetime.min.time()))
    return [
        Series(
            key,
            key,
            _steps_sum(
                when,
                {day: sum(n.get(s, 0) for s in statuses) for day, n in found.items()},
            ),
        )
        for key, statuses in groups.items()
    ]


def _filters(by_filters: Mapping[str, int]) -> list[tuple[str, int]]:
    fields: Counter[str] = Counter()
    for filters, count in by_filters.items():
        for used in filter(None, filters.split(";")):
            fields[used.partition("=")[0]] += count
    return sorted(fields.items(), key=lambda item: (-item[1], item[0]))


def build_dashboard(
    store: Store,
    *,
    days: int,
    sources: Mapping[str, str],
    theme_label: Callable[[str], str],
    today: date | None = None,
    history: ThemeHistory | None = None,
) -> Dashboard:
    """The dashboard over the last `days` days up to `today` (UTC today by default).
    `sources`: id -> display name of the configured sources (sources no longer configured
    but still holding records are shown by id); `theme_label`: a concept id's label in the
    reader's language; `history`: the store's theme history if the caller keeps one
    (ThemeHistoryCache), else it is read now."""
    when = period(days, today or datetime.now(UTC).date())
    clustered = store.clustered_by_source()
    if history is None:
        history = store.theme_history()
    themes = _theme_figures(history, when)
    by_source = _records_by_source(
        store.record_growth(datetime.combine(when.start, datetime.min.time())), when, sources
    )
    rows = []
    for series in by_source:
        members, canonical = clustered.get(series.key, (0, 0))
        rows.append(
            SourceFigures(
                id=series.key,
                name=series.label,
                records=series.values[-1],
                with_themes=history.themed.get(series.key, 0),
                themes_used=len(history.used.get(series.key, ())),
                clustered=members,
                redundant=members - canonical,
            )
        )
    shown = sorted(themes.active, key=lambda t: (-themes.active[t], t))[:THEMES_SHOWN]
    steps = len(when.steps)
    by_theme = [
        Series(t, theme_label(t), _cumulative(themes.base[t], themes.changes.get(t, [0] * steps)))
        for t in shown
    ]
    per_day = store.searches_by_day(when.start)
    searches = [
        Series(
            "searches", "searches", _steps_sum(when, {d: c.searches for d, c in per_day.items()})
        ),
        Series(
            "no_result", "no_result", _steps_sum(when, {d: c.no_result for d, c in per_day.items()})
        ),
    ]
    runs = _runs(store, when)
    texts = store.searched_texts(when.start)
    totals = {
        "records": sum(r.records for r in rows),
        "with_themes": sum(r.with_themes for r in rows),
        "clustered": sum(r.clustered for r in rows),
        "redundant": sum(r.redundant for r in rows),
        "searches": sum(searches[0].values),
        "no_result": sum(searches[1].values),
        "runs": sum(sum(s.values) for s in runs),
        "failed_runs": sum(runs[2].values),
    }
    return Dashboard(
        period=when,
        records_by_source=by_source,
        records_by_theme=by_theme,
        runs=runs,
        searches=searches,
        sources=rows,
        top_searches=heapq.nsmallest(TOP_SEARCHES, texts, key=lambda s: (-s.searches, s.text)),
        no_result_searches=heapq.nsmallest(
            TOP_SEARCHES,
            (s for s in texts if s.no_result),
            key=lambda s: (-s.no_result, s.text),
        ),
        filters=_filters(store.searches_by_filters(when.start)),
        totals=totals,
    )
