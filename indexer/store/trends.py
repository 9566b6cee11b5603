"""Figures over time for the activity dashboard: records gained and retired per source and
day, the themes of every record with its dates, harvest runs per day by status.

Dialect-neutral SQL (SQLite and PostgreSQL). Shaping them into series (cumulative counts,
empty days) is indexer/dashboard.py's.
"""

from __future__ import annotations

import re
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

__all__ = ["RecordGrowth", "ThemeHistory", "TrendQueries", "theme_ids"]

_THEMES_KEY = '"themes":['
# A Theme object opens with its id then its uri (pydantic dumps fields in declaration order);
# no other object of a stored Record has both, and quotes inside JSON strings are escaped.
_THEME_ID = re.compile(r'\{"id":"((?:[^"\\]|\\.)*)","uri":"')
_SCAN_ROWS = 2_000  # rows fetched at a time by the theme scan
_EPOCH = datetime(1970, 1, 1)  # `retired > _EPOCH`: every retired record, by its index


@dataclass
class ThemeHistory:
    """What the dashboard needs of every record's themes, small whatever the store's size:
    records per (theme, day first seen, day retired or None), and per source the active
    records with a theme and the themes they use."""

    dated: dict[tuple[str, date, date | None], int] = field(default_factory=dict)
    themed: dict[str, int] = field(default_factory=dict)
    used: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class RecordGrowth:
    """Per source: records first seen before the period (`before`), then records first seen
    per day of the period (`added`), and records retired per day (`retired`, every day,
    before the period too)."""

    before: dict[str, int] = field(default_factory=dict)
    added: dict[tuple[str, date], int] = field(default_factory=dict)
    retired: dict[tuple[str, date], int] = field(default_factory=dict)


def _day(value: object) -> date:
    """A date(...) value, which SQLite returns as text and PostgreSQL as a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def theme_ids(body: str) -> tuple[str, ...]:
    """The theme ids of a stored Record JSON, found by a pattern from its `themes` key on:
    a twentieth of the time of decoding the record."""
    at = body.find(_THEMES_KEY)
    return tuple(_THEME_ID.findall(body, at)) if at >= 0 else ()


class TrendQueries(StoreBase):
    """Counts over time for the dashboard."""

    def record_growth(self, start: datetime) -> RecordGrowth:
        """Records first seen per source before `start` and per UTC day from `start` on,
        and records retired per source and day. A retired record that came back has its
        retirement cleared, so the counts are today's view of each record's history. Reads
        the (source_id, first_seen) and retired indexes, never the record rows' bodies."""
        growth = RecordGrowth()
        first, gone = records.c.first_seen, records.c.retired
        early = sa.func.sum(sa.case((first < start, 1), else_=0))
        first_day, gone_day = sa.func.date(first), sa.func.date(gone)
        with self.engine.connect() as conn:
            for source, before in conn.execute(
                sa.select(records.c.source_id, early).group_by(records.c.source_id)
            ):
                growth.before[source] = int(before or 0)
            for source, when, count in conn.execute(
                sa.select(records.c.source_id, first_day, sa.func.count())
                .where(first >= start)
                .group_by(records.c.source_id, first_day)
            ):
                growth.added[(source, _day(when))] = int(count)
            # A range on `retired` (not IS NOT NULL) and no GROUP BY: SQLite then reads the
            # few retired rows through their index instead of scanning every record.
            for source, when in conn.execute(
                sa.select(records.c.source_id, gone_day).where(gone > _EPOCH)
            ):
                key = (source, _day(when))
                growth.retired[key] = growth.retired.get(key, 0) + 1
        return growth

    def records_version(self) -> tuple[object, ...]:
        """A cheap mark that changes when records are added or retired: count, last
        first-seen, retired count and last retirement, each read from an index (one SELECT
        of all four would scan every record row). Theme rewrites do not change it."""
        first, gone = records.c.first_seen, records.c.retired
        with self.engine.connect() as conn:
            return (
                conn.execute(sa.select(sa.func.count()).select_from(records)).scalar(),
                conn.execute(sa.select(sa.func.max(first))).scalar(),
                *conn.execute(
                    sa.select(sa.func.count(gone), sa.func.max(gone)).where(gone > _EPOCH)
                ).one(),
            )

    def theme_history(self) -> ThemeHistory:
        """Every stored record's themes (retired records too) folded into a ThemeHistory:
        one pass over the bodies, the costly figure of the dashboard (which caches it)."""
        stmt = sa.select(
            records.c.source_id,
            sa.func.date(records.c.first_seen),
            sa.func.date(records.c.retired),
            records.c.body,
        )
        found = ThemeHistory()
        dated, themed, used = found.dated, found.themed, found.used
        days: dict[object, date] = {}
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True).execute(stmt)
            for rows in result.partitions(_SCAN_ROWS):
                for source, first, retired, body in rows:
                    themes = theme_ids(body)
                    if not themes:
                        continue
                    first_day = days.get(first) or days.setdefault(first, _day(first))
                    retired_day = None
                    if retired is not None:
                        retired_day = days.get(retired) or days.setdefault(retired, _day(retired))
                    else:
                        themed[source] = themed.get(source, 0) + 1
                        used.setdefault(source, set()).update(themes)
                    for theme in themes:
                        key = (theme, first_day, retired_day)
                        dated[key] = dated.get(key, 0) + 1
        return found

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
        """source id -> (records in a duplicate cluster, of which canonical members). Driven
        by the members (an IN list), not by every fingerprint."""
        engine = self._ensure(cluster_metadata, "the cluster tables")
        found: dict[str, list[int]] = {}
        with engine.connect() as conn:
            for at, members in enumerate(
                (
                    sa.select(dup_members.c.record_id),
                    sa.select(dup_members.c.record_id).where(dup_members.c.canonical.is_(True)),
                )
            ):
                stmt = (
                    sa.select(dup_fingerprints.c.source_id, sa.func.count())
                    .where(dup_fingerprints.c.record_id.in_(members))
                    .group_by(dup_fingerprints.c.source_id)
                )
                for source, count in conn.execute(stmt):
                    found.setdefault(str(source), [0, 0])[at] = int(count)
        return {source: (members, first) for source, (members, first) in found.items()}
