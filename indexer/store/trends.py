"""Figures over time for the activity dashboard: records gained and retired per source and
day, the themes of every record with its dates, harvest runs per day by status.

Dialect-neutral SQL (SQLite and PostgreSQL). Shaping them into series (cumulative counts,
empty days) is indexer/dashboard.py's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from indexer.store.base import StoreBase
from indexer.store.schema import (
    cluster_metadata,
    dup_fingerprints,
    dup_members,
    harvest_runs,
    records,
)

__all__ = ["RecordGrowth", "RecordThemes", "TrendQueries", "theme_ids"]

_THEMES_KEY = '"themes":['
_DECODER = json.JSONDecoder()
_SCAN_ROWS = 2_000  # rows fetched at a time by the theme scan


@dataclass
class RecordGrowth:
    """Per source: records first seen before the period (`before`) and retired before it
    (`retired_before`), then records first seen and retired per day of the period."""

    before: dict[str, int] = field(default_factory=dict)
    retired_before: dict[str, int] = field(default_factory=dict)
    added: dict[tuple[str, date], int] = field(default_factory=dict)
    retired: dict[tuple[str, date], int] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordThemes:
    """One stored record's source, dates and the ids of the themes it is filed under now."""

    source_id: str
    first_seen: date
    retired: date | None
    themes: tuple[str, ...]


def _day(value: object) -> date:
    """A date(...) group key, which SQLite returns as text and PostgreSQL as a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def theme_ids(body: str) -> tuple[str, ...]:
    """The theme ids of a stored Record JSON, decoding only its `themes` list (the key
    cannot occur inside a JSON string, where quotes are escaped): a tenth of the time of
    decoding the whole record."""
    at = body.find(_THEMES_KEY)
    if at < 0:
        return ()
    themes, _ = _DECODER.raw_decode(body, at + len(_THEMES_KEY) - 1)
    return tuple(str(t["id"]) for t in themes if isinstance(t, dict) and t.get("id"))


class TrendQueries(StoreBase):
    """Counts over time for the dashboard."""

    def record_growth(self, start: datetime) -> RecordGrowth:
        """Records first seen and retired per source, before `start` and per UTC day from
        `start` on. A retired record that came back has its retirement cleared, so the
        counts are today's view of each record's history."""
        growth = RecordGrowth()
        first, gone = records.c.first_seen, records.c.retired
        with self.engine.connect() as conn:
            for source, before, retired in conn.execute(
                sa.select(
                    records.c.source_id,
                    sa.func.sum(sa.case((first < start, 1), else_=0)),
                    sa.func.sum(sa.case((gone < start, 1), else_=0)),
                ).group_by(records.c.source_id)
            ):
                growth.before[source] = int(before or 0)
                growth.retired_before[source] = int(retired or 0)
            for column, into in ((first, growth.added), (gone, growth.retired)):
                day = sa.func.date(column)
                stmt = (
                    sa.select(records.c.source_id, day, sa.func.count())
                    .where(column >= start)
                    .group_by(records.c.source_id, day)
                )
                for source, when, count in conn.execute(stmt):
                    into[(source, _day(when))] = int(count)
        return growth

    def record_themes(self) -> Iterator[RecordThemes]:
        """Every stored record (retired ones too) with its dates and theme ids, streamed."""
        stmt = sa.select(
            records.c.source_id, records.c.first_seen, records.c.retired, records.c.body
        )
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(stmt)
            for rows in result.partitions(_SCAN_ROWS):
                for source, first, retired, body in rows:
                    yield RecordThemes(
                        source_id=source,
                        first_seen=first.date(),
                        retired=retired.date() if retired is not None else None,
                        themes=theme_ids(body),
                    )

    def runs_by_day_and_status(self, start: datetime) -> dict[date, dict[str, int]]:
        """UTC day a run started (from `start` on) -> run status -> runs."""
        day = sa.func.date(harvest_runs.c.started)
        stmt = (
            sa.select(day, harvest_runs.c.status, sa.func.count())
            .where(harvest_runs.c.started >= start)
            .group_by(day, harvest_runs.c.status)
        )
        found: dict[date, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for when, status, count in conn.execute(stmt):
                found.setdefault(_day(when), {})[str(status)] = int(count)
        return found

    def clustered_by_source(self) -> dict[str, tuple[int, int]]:
        """source id -> (records in a duplicate cluster, of which canonical members)."""
        engine = self._ensure(cluster_metadata, "the cluster tables")
        canonical = sa.case((dup_members.c.canonical.is_(True), 1), else_=0)
        stmt = (
            sa.select(dup_fingerprints.c.source_id, sa.func.count(), sa.func.sum(canonical))
            .select_from(
                dup_members.join(
                    dup_fingerprints, dup_fingerprints.c.record_id == dup_members.c.record_id
                )
            )
            .group_by(dup_fingerprints.c.source_id)
        )
        with engine.connect() as conn:
            return {
                str(source): (int(members), int(first or 0))
                for source, members, first in conn.execute(stmt)
            }
