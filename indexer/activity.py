"""Activity figures for the dashboard (GET /api/stats): per source and per day, from the
store's runs, records and quarantine tables (the queries are the store's:
indexer/store/activity.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from indexer.store import Store

__all__ = ["per_day", "per_source"]


def per_source(store: Store) -> dict[str, dict[str, Any]]:
    """source id -> active, retired, with_themes, open quarantine counts."""
    out: dict[str, dict[str, Any]] = {}

    def slot(source: str) -> dict[str, Any]:
        return out.setdefault(
            source, {"records": 0, "retired": 0, "with_themes": 0, "quarantined": 0}
        )

    for source, counts in store.record_counts_by_source().items():
        slot(source).update(counts)
    for source, count in store.open_quarantine_by_source().items():
        slot(source)["quarantined"] = count
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
    found = store.runs_by_day(datetime.combine(first, datetime.min.time()), sources)
    empty = dict.fromkeys(
        ("runs", "complete_runs", "records_seen", "records_new", "records_updated", "quarantined"),
        0,
    )
    out = []
    for offset in range(days):
        date = (first + timedelta(days=offset)).isoformat()
        out.append({"date": date, **found.get(date, empty)})
    return out
