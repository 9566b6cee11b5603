"""Activity figures for the dashboard (GET /api/stats): per source and per day, from the
store's runs, records and quarantine tables. Dialect-neutral SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from indexer.store import Store
from indexer.store_schema import harvest_runs, quarantine, records

__all__ = ["per_day", "per_source"]

logger = logging.getLogger(__name__)

# A stored Record with at least one theme serialises `"themes":[{`; no JSON functions needed,
# so the same query runs on SQLite and PostgreSQL.
_HAS_THEMES = records.c.body.like('%"themes":[{%')


def per_source(store: Store) -> dict[str, dict[str, Any]]:
    """source id -> active, retired, with_themes, open quarantine counts."""
    out: dict[str, dict[str, Any]] = {}

    def slot(source: str) -> dict[str, Any]:
        return out.setdefault(
            source, {"records": 0, "retired": 0, "with_themes": 0, "quarantined": 0}
        )

    active = records.c.retired.is_(None)
    stmt = sa.select(
        records.c.source_id,
        sa.func.sum(sa.case((active, 1), else_=0)),
        sa.func.sum(sa.case((active, 0), else_=1)),
        sa.func.sum(sa.case((sa.and_(active, _HAS_THEMES), 1), else_=0)),
    ).group_by(records.c.source_id)
    open_quarantine = (
        sa.select(quarantine.c.source_id, sa.func.count())
        .where(quarantine.c.resolved.is_(None))
        .group_by(quarantine.c.source_id)
    )
    with store.engine.connect() as conn:
        for source, live, gone, themed in conn.execute(stmt):
            entry = slot(source)
            entry.update(
                records=int(live or 0), retired=int(gone or 0), with_themes=int(themed or 0)
            )
        for source, count in conn.execute(open_quarantine):
            slot(source)["quarantined"] = int(count)
    return out


def per_day(
    store: Store,
    days: int,
    now: datetime | None = None,
    sources: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Runs started per UTC day over the last `days` days, with records seen, new, updated
    and quarantined; days without runs are listed with zeros, oldest first. With `sources`,
    only the runs of those sources (what the caller may see)."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    first = (now - timedelta(days=days - 1)).date()
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
        .where(harvest_runs.c.started >= datetime.combine(first, datetime.min.time()))
        .group_by(day)
    )
    if sources is not None:
        stmt = stmt.where(harvest_runs.c.source_id.in_(sources))
    found: dict[str, dict[str, Any]] = {}
    with store.engine.connect() as conn:
        for when, runs, seen, new, updated, quarantined, complete in conn.execute(stmt):
            found[str(when)[:10]] = {
                "runs": int(runs),
                "complete_runs": int(complete or 0),
                "records_seen": int(seen or 0),
                "records_new": int(new or 0),
                "records_updated": int(updated or 0),
                "quarantined": int(quarantined or 0),
            }
    empty = dict.fromkeys(
        ("runs", "complete_runs", "records_seen", "records_new", "records_updated", "quarantined"),
        0,
    )
    out = []
    for offset in range(days):
        date = (first + timedelta(days=offset)).isoformat()
        out.append({"date": date, **found.get(date, empty)})
    return out
