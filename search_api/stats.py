"""GET /api/stats: activity for the dashboard. Per source: the last run (status, counts,
duration), records in the store and in the index, retired and quarantined counts, the share
of records with themes. Per day: runs and records harvested."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request

from indexer.activity import per_day, per_source
from moisson.errors import BadQuery, MoissonError
from moisson.record import Query
from search_api.auth import access_policy, query_roles
from search_api.serialise import run_summary
from search_api.state import state

__all__ = ["blueprint"]

logger = logging.getLogger(__name__)

blueprint = Blueprint("stats", __name__)

MAX_DAYS = 366


def _days() -> int:
    unknown = sorted(set(request.args) - {"days"})
    if unknown:
        raise BadQuery(f"unknown parameter {unknown[0]!r}; the only parameter here is 'days'")
    value = request.args.get("days", "30")
    if not value.isdigit() or not 1 <= int(value) <= MAX_DAYS:
        raise BadQuery(f"days must be an integer from 1 to {MAX_DAYS}")
    return int(value)


def _indexed(size: int) -> dict[str, int] | None:
    """Records per source in the search index (None when the index cannot say)."""
    try:
        query = Query(size=0, facet_size=min(max(size, 1), 200), roles=query_roles())
        results = state().backend.search(query)
    except MoissonError as exc:
        logger.warning("stats: index count failed: %s", exc.message)
        return None
    return {bucket.value: bucket.count for bucket in results.facets.get("source", [])}


@blueprint.get("/api/stats")
def stats() -> dict[str, Any]:
    days = _days()
    app = state()
    figures = per_source(app.store)
    indexed = _indexed(len(app.settings.sources))
    sources = []
    policy, roles = access_policy(), query_roles()
    for source in app.settings.sources:
        if not policy.may_see(source.id, roles):  # its figures would describe hidden records
            continue
        counts = figures.get(source.id, {})
        runs = app.store.runs(source.id, limit=1)
        last = runs[0] if runs else None
        duration = None
        if last is not None and last.ended is not None:
            duration = round((last.ended - last.started).total_seconds(), 3)
        active = counts.get("records", 0)
        sources.append(
            {
                "id": source.id,
                "last_run": run_summary(last),
                "duration": duration,
                "records": active,
                "indexed": None if indexed is None else indexed.get(source.id, 0),
                "retired": counts.get("retired", 0),
                "quarantined": counts.get("quarantined", 0),
                "with_themes": counts.get("with_themes", 0),
                "theme_share": round(counts.get("with_themes", 0) / active, 4) if active else 0.0,
            }
        )
    seen = None if roles is None else [s["id"] for s in sources]
    return {"sources": sources, "days": per_day(app.store, days, sources=seen)}
