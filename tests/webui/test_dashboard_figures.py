"""Every dashboard aggregation on a store whose history is known to the day: records per
source and theme over time, runs by outcome, theme coverage, duplicate share, searches."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from indexer.cluster_store import ClusterStore
from indexer.dashboard import (
    Dashboard,
    Series,
    SourceFigures,
    ThemeHistoryCache,
    build_dashboard,
    period,
)
from indexer.search_log import SearchLog
from indexer.store import Store
from indexer.store.search_log import LoggedSearch
from indexer.store.trends import theme_ids
from moisson.query import Query
from moisson.record import Harvested, Identifier, Record, Theme

TODAY = date(2026, 11, 20)  # a 7-day period: 14..20 November, one step a day
WATER = Theme(id="water", uri="https://example.org/themes/water", labels={"en": "Water"})
FOREST = Theme(id="forest", uri="https://example.org/themes/forest", labels={"en": "Forest"})
SHARED = [Identifier(code="FR-ZH-2022")]

# source, original id, first seen, retired, themes
HISTORY = [
    ("geo", "a", date(2026, 11, 1), None, [WATER]),
    ("geo", "b", date(2026, 11, 15), None, [WATER, FOREST]),
    ("geo", "c", date(2026, 11, 16), date(2026, 11, 18), []),
    ("open", "d", date(2026, 11, 10), date(2026, 11, 17), [FOREST]),
    ("open", "e", date(2026, 11, 19), None, [WATER]),
]
# day a run started, status
RUNS = [
    (date(2026, 11, 10), "failed"),  # before the period
    (date(2026, 11, 14), "complete"),
    (date(2026, 11, 16), "failed"),
    (date(2026, 11, 16), "partial"),
    (date(2026, 11, 19), "complete"),
    (date(2026, 11, 19), "unchanged"),
]


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(hour=10)


@pytest.fixture
def figures(store: Store) -> Dashboard:
    written: dict[str, Record] = {}
    for source, original_id, _, _, themes in HISTORY:
        shared = original_id in {"a", "e"}  # one dataset published by both sources
        record = Record.new(
            source,
            original_id,
            title="Zones humides 2022" if shared else f"Jeu {original_id}",
            identifiers=SHARED if shared else [],
            themes=themes,
        )
        run = store.begin_run(source)
        store.write_page(
            run, source, [Harvested(original_id=original_id, raw=b"<r/>", record=record)]
        )
        store.finish_run(run, status="complete", complete=True)
        written[original_id] = record
    ClusterStore(store).open().update([written["a"], written["e"]])
    with store.engine.begin() as conn:  # the history, set to the day
        conn.execute(sa.text("DELETE FROM harvest_runs"))
        for source, original_id, first, retired, _ in HISTORY:
            conn.execute(
                sa.text(
                    "UPDATE records SET first_seen = :first, retired = :retired "
                    "WHERE source_id = :source AND original_id = :id"
                ),
                {
                    "first": _at(first),
                    "retired": _at(retired) if retired else None,
                    "source": source,
                    "id": original_id,
                },
            )
    for day, status in RUNS:
        run = store.begin_run("geo")
        store.finish_run(run, status=status, complete=status == "complete")
        with store.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE harvest_runs SET started = :at WHERE id = :id"),
                {"at": _at(day), "id": run},
            )
    searches = [
        (date(2026, 11, 15), Query(q="eau"), 2),
        (date(2026, 11, 15), Query(q="Eau"), 2),
        (date(2026, 11, 15), Query(q="eau"), 2),
        (date(2026, 11, 15), Query(q="zzz"), 0),
        (date(2026, 11, 20), Query(q="eau", filters={"theme": ["water"]}), 3),
        (date(2026, 11, 2), Query(q="ancien"), 0),  # before the period
    ]
    for day, query, total in searches:
        log = SearchLog(store, today=lambda day=day: day)  # type: ignore[misc]
        log.record(query, total)
        log.flush()
    return build_dashboard(
        store,
        days=7,
        sources={"geo": "GéoPortail", "open": "Open data", "empty": "Empty"},
        theme_label=lambda concept: concept.upper(),
        today=TODAY,
    )


def test_records_per_source_over_time(figures: Dashboard) -> None:
    assert figures.period.labels() == [f"2026-11-{d}" for d in range(14, 21)]
    assert figures.records_by_source == [
        Series("empty", "Empty", [0] * 7),
        Series("geo", "GéoPortail", [1, 2, 3, 3, 2, 2, 2]),
        Series("open", "Open data", [1, 1, 1, 0, 0, 1, 1]),
    ]


def test_records_per_theme_over_time_largest_first(figures: Dashboard) -> None:
    assert figures.records_by_theme == [
        Series("water", "WATER", [1, 2, 2, 2, 2, 3, 3]),
        Series("forest", "FOREST", [1, 2, 2, 1, 1, 1, 1]),
    ]


def test_runs_per_day_by_outcome(figures: Dashboard) -> None:
    assert figures.runs == [
        Series("ok", "ok", [1, 0, 0, 0, 0, 2, 0]),
        Series("partial", "partial", [0, 0, 1, 0, 0, 0, 0]),
        Series("failed", "failed", [0, 0, 1, 0, 0, 0, 0]),
    ]
    assert (figures.totals["runs"], figures.totals["failed_runs"]) == (5, 1)


def test_theme_coverage_and_duplicates_per_source(figures: Dashboard) -> None:
    rows = {row.id: row for row in figures.sources}
    assert rows["empty"] == SourceFigures("empty", "Empty", 0, 0, 0, 0, 0)
    geo, opendata = rows["geo"], rows["open"]
    assert (geo.records, geo.with_themes, geo.themes_used, geo.theme_share) == (2, 2, 2, 1.0)
    assert (opendata.records, opendata.with_themes, opendata.themes_used) == (1, 1, 1)
    assert (geo.clustered, opendata.clustered) == (1, 1)
    assert geo.redundant + opendata.redundant == 1  # one copy beyond the canonical
    assert figures.totals["records"] == 3
    assert figures.duplicate_share == pytest.approx(1 / 3, abs=1e-4)


def test_searches_top_and_without_result(figures: Dashboard) -> None:
    assert figures.searches == [
        Series("searches", "searches", [0, 4, 0, 0, 0, 0, 1]),
        Series("no_result", "no_result", [0, 1, 0, 0, 0, 0, 0]),
    ]
    assert figures.top_searches == [LoggedSearch("eau", 4, 0, 9), LoggedSearch("zzz", 1, 1, 0)]
    assert figures.no_result_searches == [LoggedSearch("zzz", 1, 1, 0)]
    assert figures.filters == [("theme", 1)]


def test_long_periods_step_by_week_then_month() -> None:
    quarter = period(90, TODAY)
    assert (quarter.step, quarter.start, quarter.steps[1]) == (
        "week",
        date(2026, 8, 23),  # a Sunday: the first step is that one day
        date(2026, 8, 24),
    )
    assert quarter.index(date(2026, 8, 23)) == 0
    assert quarter.index(date(2026, 8, 30)) == 1
    assert quarter.index(TODAY) == len(quarter.steps) - 1
    year = period(365, TODAY)
    assert year.step == "month"
    assert year.labels()[:2] == ["2025-11", "2025-12"]
    assert len(year.steps) == 13
    assert year.index(TODAY) == 12
    assert year.index(date(2025, 11, 20)) == -1


def test_theme_ids_read_only_the_themes_list() -> None:
    record = Record.new("s", "1", title='"themes":[ in a title', themes=[WATER, FOREST])
    assert theme_ids(record.model_dump_json()) == ("water", "forest")
    assert theme_ids(Record.new("s", "2", title="t").model_dump_json()) == ()


def test_theme_history_is_kept_until_records_change_or_it_ages(store: Store) -> None:
    now = [0.0]
    cache = ThemeHistoryCache(ttl=60, clock=lambda: now[0], background=False)

    def harvest(original_id: str) -> None:
        record = Record.new("geo", original_id, title=original_id, themes=[WATER])
        run = store.begin_run("geo")
        store.write_page(
            run, "geo", [Harvested(original_id=original_id, raw=b"<r/>", record=record)]
        )
        store.finish_run(run, status="complete", complete=True)

    def records() -> int:
        return sum(cache.get(store).themed.values())

    harvest("1")
    first = cache.get(store)
    assert cache.get(store) is first  # nothing changed: kept
    harvest("2")
    assert records() == 2  # a record was added: read again
    store.set_themes(
        [store.get(Record.new("geo", "1", title="1").id).model_copy(update={"themes": []})]
    )
    assert records() == 2  # the theme rewrite is not seen yet: kept
    now[0] = 61
    assert records() == 1  # aged: read again, record 1 has no theme now


def test_a_store_from_an_older_version_gets_the_new_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with Store(url) as old, old.engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_records_source_first_seen"))
    with Store(url) as opened:
        names = {index["name"] for index in sa.inspect(opened.engine).get_indexes("records")}
    assert "ix_records_source_first_seen" in names


def test_a_stale_theme_history_answers_while_the_new_one_is_read(store: Store) -> None:
    cache = ThemeHistoryCache()

    def harvest(original_id: str) -> None:
        record = Record.new("geo", original_id, title=original_id, themes=[WATER])
        run = store.begin_run("geo")
        store.write_page(
            run, "geo", [Harvested(original_id=original_id, raw=b"<r/>", record=record)]
        )
        store.finish_run(run, status="complete", complete=True)

    harvest("1")
    assert cache.get(store).themed == {"geo": 1}  # nothing kept yet: read in the request
    harvest("2")
    assert cache.get(store).themed == {"geo": 1}  # the last one answers at once
    cache.wait()
    assert cache.get(store).themed == {"geo": 2}  # read in the background meanwhile
