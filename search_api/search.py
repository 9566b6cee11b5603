"""GET /api/search and GET /api/suggest: parse the query string, ask the search service,
serialise. Nothing else.

The search service (indexer/search_service.py: thesaurus expansion, backend, theme labels)
is the runtime's, shared with GET /api/themes and every output protocol.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from indexer.search_service import SearchService
from moisson.errors import BadQuery
from search_api.auth import query_roles
from search_api.params import check_capabilities, parse_search_args
from search_api.serialise import search_response, source_names
from search_api.state import state

__all__ = ["SUGGEST_MAX_SIZE", "blueprint", "search_service"]

blueprint = Blueprint("search", __name__)

SUGGEST_MAX_SIZE = 50
SUGGEST_MAX_LENGTH = 200


def search_service() -> SearchService:
    """The runtime's SearchService (rebuilt there when an admin rule edit replaced the
    themer)."""
    return state().search


@blueprint.get("/api/search")
def search() -> dict[str, Any]:
    app = state()
    args = request.args.to_dict(flat=False)
    query = parse_search_args(args, app.settings)
    query = query.model_copy(update={"roles": query_roles()})  # filtered inside the backend
    check_capabilities(query, app.backend.capabilities)
    # Thesaurus labels in q also match the records filed under them; theme labels in `lang`.
    searched = search_service().run(query)
    return search_response(
        searched.results, searched.query, args, source_names(app.settings)
    )


@blueprint.get("/api/suggest")
def suggest() -> dict[str, Any]:
    """Completions of `q` (keywords most used first, then titles), ignoring case and accents,
    from the records the caller may see; `size` of them (default 10)."""
    args = request.args.to_dict(flat=False)
    unknown = sorted(set(args) - {"q", "size"})
    if unknown:
        raise BadQuery(f"unknown parameter {unknown[0]!r}; valid parameters: q, size")
    for name, values in args.items():
        if len(values) > 1:
            raise BadQuery(f"parameter {name!r} given {len(values)} times; give it once")
    prefix = args.get("q", [""])[0]
    if len(prefix) > SUGGEST_MAX_LENGTH:
        raise BadQuery(f"q is longer than {SUGGEST_MAX_LENGTH} characters")
    raw_size = args.get("size", ["10"])[0].strip() or "10"
    if not raw_size.isdigit() or not 1 <= int(raw_size) <= SUGGEST_MAX_SIZE:
        raise BadQuery(f"size must be a whole number from 1 to {SUGGEST_MAX_SIZE}")
    if "suggest" not in state().backend.capabilities:
        raise BadQuery("this search index does not support suggestions")
    found = search_service().suggest(prefix, int(raw_size), query_roles())
    return {"q": prefix, "suggestions": found}
