"""GET /api/search: parse the query string, ask the backend, serialise. Nothing else."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request

from search_api.app import state
from search_api.params import check_capabilities, parse_search_args
from search_api.serialise import search_response

__all__ = ["blueprint"]

logger = logging.getLogger(__name__)

blueprint = Blueprint("search", __name__)


@blueprint.get("/api/search")
def search() -> dict[str, Any]:
    app = state()
    args = request.args.to_dict(flat=False)
    query = parse_search_args(args, app.settings)
    check_capabilities(query, app.backend.capabilities)
    results = app.backend.search(query)
    return search_response(results, query, args)
