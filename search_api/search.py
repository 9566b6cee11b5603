"""GET /api/search: parse the query string, ask the backend, serialise. Nothing else."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request

from search_api.app import state
from search_api.auth import query_roles
from search_api.params import check_capabilities, parse_search_args
from search_api.serialise import search_response, source_names
from search_api.themes import themed_search

__all__ = ["blueprint"]

logger = logging.getLogger(__name__)

blueprint = Blueprint("search", __name__)


@blueprint.get("/api/search")
def search() -> dict[str, Any]:
    app = state()
    args = request.args.to_dict(flat=False)
    query = parse_search_args(args, app.settings)
    query = query.model_copy(update={"roles": query_roles()})  # filtered inside the backend
    check_capabilities(query, app.backend.capabilities)
    # Thesaurus labels in q also match the records filed under them; theme labels in `lang`.
    query, results = themed_search(query, app.backend, app.themer, app.settings.themes.languages)
    return search_response(results, query, args, source_names(app.settings))
