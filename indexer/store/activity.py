"""Activity figures over runs, records and quarantine (the dashboard, GET /api/stats).

Dialect-neutral SQL: the same queries run on SQLite and PostgreSQL. Shaping the figures
(days without runs, per-source slots) is indexer/activity.py's.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from indexer.store.base import StoreBase
from indexer.store.schema import harvest_runs, quarantine, records

__all__ = ["ActivityQueries"]

# A stored Record with at least one theme serialises `"themes":[{`; no JSON functions needed,
# so the same query runs on SQLite and PostgreSQL.
_HAS_THEMES = records.c.body.like('%"themes":[{%')


class ActivityQueries(StoreBase):
    """Counts per source and per day."""

    def record_counts_by_source(self) -> dict[str, dict[str, int]]:
        """source id -> records (active), retired and with_themes (active with a theme)."""
        active = records.c.retired.is_(None)
        stmt = sa.select(
            records.c.source_id,
            sa.func.sum(sa.case((active, 1), else_=0)),
            sa.func.sum(sa.case((active, 0), else_=1)),
            sa.func.sum(sa.case((sa.and_(active, _HAS_THEMES), 1), else_=0)),
        ).group_by(records.c.source_id)
        with self.engine.connect() as conn:
            return {
                source: {
                    "records": int(live or 0),
                    "retired": int(gone or 0),
                    "with_themes": int(themed or 0),
                }
                for source, live, gone, themed in conn.execute(stmt)
            }

    def open_quarantine_by_source(self) -> dict[str, int]:
        """source id -> quarantine entries not resolved yet."""
        stmt = (
            sa.select(quarantine.c.source_id, sa.func.count())
            .where(quarantine.c.resolved.is_(None))
            .group_by(quarantine.c.source_id)
        )
        with self.engine.connect() as conn:
            return {source: int(count) for source, count in conn.execute(stmt)}

    def runs_by_day(
        self, start: datetime, sources: list[str] | None = None
    ) -> dict[str, dict[str, int]]:
        """'YYYY-MM-DD' (the UTC day a run started, from `start` on) -> runs, complete_runs,
        records_seen, records_new, records_updated and quarantined; only days with runs,
        and only the runs of `sources` when given."""
        day = sa.func.date(harvest_runs.c.started)
        stmt = (
            sa.select(
                day,
                sa.func.count(),
                sa.func.sum(harvest_runs.c.seen),
                sa.func.sum(harvest_runs.c.new),
                sa.func.sum(harvest_runs.c.updated),
                sa.func.sum(harvest_runs.c.quarantined),
                sa.func.sum(sa.case((harvest_runs.c.complete.is_(True), 1), else_=0)),
            )
            .where(harvest_runs.c.started >= start)
            .group_by(day)
        )
        if sources is not None:
            stmt = stmt.where(harvest_runs.c.source_id.in_(sources))
        found: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for when, runs, seen, new, updated, quarantined, complete in conn.execute(stmt):
                found[str(when)[:10]] = {
                    "runs": int(runs),
                    "complete_runs": int(complete or 0),
                    "records_seen": int(seen or 0),
                    "records_new": int(new or 0),
                    "records_updated": int(updated or 0),
                    "quarantined": int(quarantined or 0),
                }
        return found
