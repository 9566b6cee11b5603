"""GET /api/sources: each configured source with its record count and last harvest run, so
users can see where the catalogue comes from and how fresh each part is."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint

from search_api.auth import access_policy, query_roles
from search_api.serialise import run_summary
from search_api.state import state

__all__ = ["blueprint"]

logger = logging.getLogger(__name__)

blueprint = Blueprint("sources", __name__)


@blueprint.get("/api/sources")
def sources() -> dict[str, Any]:
    app = state()
    counts = app.store.counts_by_source()
    listed = []
    policy, roles = access_policy(), query_roles()
    for source in app.settings.sources:
        if not policy.may_see(source.id, roles):  # a restricted catalogue stays unlisted
            continue
        runs = app.store.runs(source.id, limit=1)
        listed.append(
            {
                "id": source.id,
                "kind": source.kind,
                "name": source.name or source.id,
                "url": source.url,
                "enabled": source.enabled,
                "records": counts.get(source.id, 0),
                "last_run": run_summary(runs[0] if runs else None),
            }
        )
    return {"sources": listed}
