"""Themes in the API: the thesaurus serving search, GET /api/themes, and admin tuning.

Thesaurus expansion and label localisation are the indexer's search service
(indexer/search_service.py), shared with /api/search, the CLI and the protocols; this module
holds only HTTP code.

- GET /api/themes: the concept tree with, per concept, the records filed under it or under
  a narrower concept (the `theme` facet counts ancestors as implied). Accepts the search
  parameters, so counts can follow a search.
- /api/admin/unmapped, /api/admin/mappings/preview and /api/admin/mappings/apply (behind
  search_api.admin.require_admin): see indexer/retheme.py. Applying rewrites the rules
  file and re-themes the affected records from the store. Each admin request first reloads
  the rules when the file changed (another worker applied a rule, or an admin edited it),
  so every gunicorn worker previews against the rules on disk.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Blueprint, current_app, request
from pydantic import ValidationError

from indexer.rules import Rule, load_rules
from indexer.themes import Themer
from moisson.errors import BadQuery
from search_api.admin import require_admin
from search_api.app import state
from search_api.auth import query_roles
from search_api.params import parse_search_args
from search_api.search import search_service

__all__ = ["admin_blueprint", "blueprint"]

logger = logging.getLogger(__name__)

blueprint = Blueprint("themes", __name__)
admin_blueprint = Blueprint("themes_admin", __name__)
admin_blueprint.before_request(require_admin)

_apply_lock = threading.Lock()
_RULES_STAMP = "moisson.theme_rules_mtime"


def _tree(
    themer: Themer, counts: dict[str, int], languages: list[str], concept_id: str
) -> dict[str, Any]:
    concept = themer.thesaurus.concepts[concept_id]
    definition = next((concept.definitions[x] for x in languages if x in concept.definitions), None)
    return {
        "id": concept.id,
        "uri": concept.uri,
        "label": concept.pref(languages[0], languages[1:]),
        "definition": definition,
        "count": counts.get(concept.id, 0),
        "narrower": [_tree(themer, counts, languages, child) for child in concept.narrower],
    }


@blueprint.get("/api/themes")
def themes() -> dict[str, Any]:
    app = state()
    args = request.args.to_dict(flat=False)
    for name in ("page", "size", "sort", "facet_size"):
        if name in args:
            raise BadQuery(f"{name} does not apply to /api/themes")
    query = parse_search_args(args, app.settings).model_copy(
        update={"size": 0, "facet_size": 200, "roles": query_roles()}
    )
    service = search_service()
    results = service.search(query)
    counts = {b.value: b.count for b in results.facets.get("theme", [])}
    lang = service.language(query.lang)
    return {
        "scheme": app.themer.thesaurus.scheme,
        "lang": lang,
        "total": results.total,
        "themes": [
            _tree(app.themer, counts, [lang, *app.settings.themes.languages], top)
            for top in app.themer.thesaurus.tops()
        ],
    }


# -- admin -----------------------------------------------------------------------------------


def _themer() -> Themer:
    """The app's Themer, with the rules reloaded if the rules file changed since."""
    app = state()
    path = app.settings.themes.rules_path
    stamp = path.stat().st_mtime_ns if path.exists() else 0
    if current_app.extensions.get(_RULES_STAMP) != stamp:
        app.themer = app.themer.with_rules(load_rules(path))
        logger.info("reloaded theme rules from %s", path)
    current_app.extensions[_RULES_STAMP] = stamp
    return app.themer


def _draft() -> Rule:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadQuery("send the draft rule as a JSON object (Content-Type: application/json)")
    try:
        rule = Rule.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "rule"
        raise BadQuery(f"invalid rule: {where}: {first['msg']}") from None
    if rule.concept is not None and rule.concept not in _themer().thesaurus.concepts:
        raise BadQuery(f"rule concept {rule.concept!r} is not a concept of the thesaurus")
    return rule


@admin_blueprint.get("/api/admin/unmapped")
def unmapped_keywords() -> dict[str, Any]:
    from indexer.retheme import unmapped

    unknown = sorted(set(request.args) - {"limit"})
    if unknown:
        raise BadQuery(f"unknown parameter {unknown[0]!r}; allowed: limit")
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise BadQuery("limit must be an integer from 1 to 1000")
    return {"keywords": unmapped(state().store, _themer(), limit=int(raw))}


@admin_blueprint.post("/api/admin/mappings/preview")
def preview_rule() -> dict[str, Any]:
    from indexer.retheme import preview

    rule = _draft()
    changes = preview(state().store, _themer(), rule)
    return {"rule": rule.model_dump(exclude_none=True), "applied": False, **_summary(changes)}


@admin_blueprint.post("/api/admin/mappings/apply")
def apply_mapping() -> dict[str, Any]:
    from indexer.collapse import Collapser
    from indexer.retheme import apply_rule
    from search_api.auth import access_policy
    from search_api.clusters import clusters

    rule = _draft()
    app = state()
    stamp = Collapser(app.store, clusters(), access_policy()).stamped  # keep cluster roles
    with _apply_lock:
        app.themer, changes = apply_rule(
            app.store, app.backend, _themer(), rule, app.settings.themes.rules_path, stamp
        )
        path = app.settings.themes.rules_path
        current_app.extensions[_RULES_STAMP] = path.stat().st_mtime_ns
    return {"rule": rule.model_dump(exclude_none=True), "applied": True, **_summary(changes)}


def _summary(changes: list[Any]) -> dict[str, Any]:
    return {
        "changed": len(changes),
        "gained": sum(1 for c in changes if c.gained),
        "lost": sum(1 for c in changes if c.lost),
        "records": [c.as_json() for c in changes],
    }
