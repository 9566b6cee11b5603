"""The search log table: counts per day, normalised query and filters (indexer/search_log.py
decides what is written; nothing personal ever reaches this module's rows).

Rows are upserted (INSERT ... ON CONFLICT DO UPDATE, which SQLite and PostgreSQL both have),
so the batches of several server processes add up instead of overwriting each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from indexer.store.base import StoreBase
from indexer.store.schema import search_log
from moisson.errors import BackendUnavailable

__all__ = ["LoggedSearch", "SearchCounts", "SearchLogTable"]


@dataclass(frozen=True)
class SearchCounts:
    """How often one (day, query, filters) was searched: searches, those with no result, and
    the hits they found in all."""

    searches: int = 0
    no_result: int = 0
    hits: int = 0

    def __add__(self, other: SearchCounts) -> SearchCounts:
        return SearchCounts(
            self.searches + other.searches,
            self.no_result + other.no_result,
            self.hits + other.hits,
        )


@dataclass(frozen=True, order=True)
class LoggedSearch:
    """One query text (or filter combination) over a period, with its counts."""

    text: str
    searches: int
    no_result: int
    hits: int


class SearchLogTable(StoreBase):
    """Rows of `search_log`."""

    def add_searches(self, batch: Mapping[tuple[date, str, str], SearchCounts]) -> None:
        """Add a batch of counts keyed by (day, query, filters) to the stored ones."""
        if not batch:
            return
        rows = [
            {
                "day": day,
                "query": query,
                "filters": filters,
                "searches": counts.searches,
                "no_result": counts.no_result,
                "hits": counts.hits,
            }
            for (day, query, filters), counts in batch.items()
        ]
        engine = self.engine
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(search_log)
        stmt = stmt.on_conflict_do_update(
            index_elements=[search_log.c.day, search_log.c.query, search_log.c.filters],
            set_={
                name: search_log.c[name] + stmt.excluded[name]
                for name in ("searches", "no_result", "hits")
            },
        )
        try:
            with engine.begin() as conn:
                conn.execute(stmt, rows)
        except SQLAlchemyError as exc:
            raise BackendUnavailable("cannot write the search log", detail=str(exc)) from exc

    def purge_search_log(self, before: date) -> int:
        """Delete the rows of days before `before` (retention); how many went."""
        try:
            with self.engine.begin() as conn:
                done = conn.execute(search_log.delete().where(search_log.c.day < before))
        except SQLAlchemyError as exc:
            raise BackendUnavailable(
                "cannot apply the search log retention", detail=str(exc)
            ) from exc
        return int(done.rowcount or 0)

    def search_log_rows(self) -> list[dict[str, object]]:
        """Every row, oldest day first (tests and audits read what is really kept)."""
        stmt = search_log.select().order_by(
            search_log.c.day, search_log.c.query, search_log.c.filters
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(stmt)]

    def searches_by_day(self, start: date) -> dict[date, SearchCounts]:
        """Day -> searches, no-result searches and hits, from `start` on (days with
        searches only)."""
        stmt = (
            sa.select(
                search_log.c.day,
                sa.func.sum(search_log.c.searches),
                sa.func.sum(search_log.c.no_result),
                sa.func.sum(search_log.c.hits),
            )
            .where(search_log.c.day >= start)
            .group_by(search_log.c.day)
        )
        with self.engine.connect() as conn:
            return {
                _day(day): SearchCounts(int(n or 0), int(z or 0), int(h or 0))
                for day, n, z, h in conn.execute(stmt)
            }

    def searched_texts(self, start: date) -> list[LoggedSearch]:
        """Every query text searched from `start` on, with its counts (empty text, a search
        by filters only, left out); in no order: the caller ranks (one grouping serves the
        most searched and the ones without result)."""
        stmt = (
            sa.select(
                search_log.c.query,
                sa.func.sum(search_log.c.searches),
                sa.func.sum(search_log.c.no_result),
                sa.func.sum(search_log.c.hits),
            )
            .where(search_log.c.day >= start, search_log.c.query != "")
            .group_by(search_log.c.query)
        )
        with self.engine.connect() as conn:
            return [
                LoggedSearch(str(query), int(n or 0), int(z or 0), int(h or 0))
                for query, n, z, h in conn.execute(stmt)
            ]

    def searches_by_filters(self, start: date) -> dict[str, int]:
        """Filter combination (as logged) -> searches, from `start` on; '' is no filter."""
        stmt = (
            sa.select(search_log.c.filters, sa.func.sum(search_log.c.searches))
            .where(search_log.c.day >= start)
            .group_by(search_log.c.filters)
        )
        with self.engine.connect() as conn:
            return {str(filters): int(n or 0) for filters, n in conn.execute(stmt)}


def _day(value: object) -> date:
    """A Date column's value (SQLite may hand back text for an aggregate's group key)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
