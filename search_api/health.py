"""GET /healthz: answers only when the search index answers, for load balancers and
`compose` health checks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from search_api.state import state

__all__ = ["blueprint"]


blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def health() -> dict[str, Any]:
    return {"status": "ok", "records": state().backend.count()}
