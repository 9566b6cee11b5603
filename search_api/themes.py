"""Themes in the API: the thesaurus serving search, GET /api/themes, and admin tuning.

Thesaurus expansion and label localisation are the indexer's search service
(indexer/search_service.py), shared with /api/search, the CLI and the protocols; this module
holds only HTTP code.

- GET /api/themes: the concept tree with, per concept, the records filed under it or under
  a narrower concept (the `theme` facet counts ancestors as implied). Accepts the search
  parameters, so counts can follow a search.
- /api/admin/unmapped, /api/admin/mappings/preview and /api/admin/mappings/apply (behind
  search_api.admin.require_admin): see indexer/retheme.py. Applying saves the rule in the
  rules file in place (comments and formatting kept) and re-themes the affected records
  from the store. A draft with the id of an existing rule is refused (409) unless it says
  `"replace": true`; both answers show the rule it replaces (`replaces`). A bad draft gets
  every problem in one 400, and malformed JSON its line and column. Each admin request first reloads
  the rules when the file changed (another worker applied a rule, or an admin edited it),
  so every gunicorn worker previews against the rules on disk.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Blueprint, current_app, request
from pydantic import ValidationError

from indexer.collapse import Collapser
from indexer.retheme import apply_rule, preview, unmapped
from indexer.rules import CONDITIONS, Rule, load_rules
from indexer.themes import Themer
from moisson.errors import BadQuery
from search_api.admin import require_admin
from search_api.auth import query_roles
from search_api.params import parse_search_args
from search_api.search import search_service
from search_api.state import state

__all__ = ["admin_blueprint", "blueprint", "theme_tree"]

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
    return theme_tree(request.args.to_dict(flat=False))


def theme_tree(args: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The body of GET /api/themes for the search arguments `args` (also the web home's
    theme tiles): the concept tree with counts of what the caller may see."""
    app = state()
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


def _json_object() -> dict[str, Any]:
    """The request body as a JSON object; malformed JSON says what is wrong and where."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise BadQuery("send the draft rule as a JSON object in the request body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadQuery(f"the body is not UTF-8 (byte {exc.start}): send JSON in UTF-8") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        line = text.splitlines()[exc.lineno - 1] if text.splitlines() else ""
        near = line[max(0, exc.colno - 21) : exc.colno + 20]
        raise BadQuery(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} "
            f"(near {near!r})"
        ) from None
    if not isinstance(body, dict):
        raise BadQuery(f"send the draft rule as a JSON object, not a JSON {type(body).__name__}")
    return body


def _draft() -> tuple[Rule, bool]:
    """The draft rule and its `replace` flag; every problem of the draft in one message."""
    body = _json_object()
    replace = body.pop("replace", False)
    problems: list[str] = []
    if not isinstance(replace, bool):
        problems.append("replace: must be true or false")
    concept = body.get("concept")
    if isinstance(concept, str) and concept not in _themer().thesaurus.concepts:
        problems.append(f"concept: {concept!r} is not a concept of the thesaurus")
    rule: Rule | None = None
    try:
        rule = Rule.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "rule"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {message}")
        given = [name for name in CONDITIONS if body.get(name) is not None]
        if len(given) != 1 and not any("condition" in p for p in problems):
            # The whole-rule check runs only once every field is valid: say it now too.
            problems.append(
                f"rule: give exactly one condition of {', '.join(CONDITIONS)}; "
                f"got {', '.join(given) or 'none'}"
            )
    if problems or rule is None:
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        raise BadQuery(f"invalid rule ({count}): " + "; ".join(problems))
    return rule, replace


def _replaced(rule: Rule) -> dict[str, Any] | None:
    """The rule of the rules file with this id, which applying would replace."""
    old = next((r for r in _themer().rules.rules if r.id == rule.id), None)
    return None if old is None else old.model_dump(exclude_none=True)


@admin_blueprint.get("/api/admin/unmapped")
def unmapped_keywords() -> dict[str, Any]:
    unknown = sorted(set(request.args) - {"limit"})
    if unknown:
        raise BadQuery(f"unknown parameter {unknown[0]!r}; allowed: limit")
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise BadQuery("limit must be an integer from 1 to 1000")
    return {"keywords": unmapped(state().store, _themer(), limit=int(raw))}


@admin_blueprint.post("/api/admin/mappings/preview")
def preview_rule() -> dict[str, Any]:
    rule, _ = _draft()
    changes = preview(state().store, _themer(), rule)
    return {
        "rule": rule.model_dump(exclude_none=True),
        "replaces": _replaced(rule),
        "applied": False,
        **_summary(changes),
    }


@admin_blueprint.post("/api/admin/mappings/apply")
def apply_mapping() -> dict[str, Any]:
    rule, replace = _draft()
    app = state()
    stamp = Collapser(app.store, app.clusters, app.access).stamped  # keep cluster roles
    with _apply_lock:
        replaced = _replaced(rule)
        path = app.settings.themes.rules_edit_path  # never the bundled package data
        if not path.exists():  # the first admin edit starts from the rules in force
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(app.settings.themes.rules_path, path)
        app.themer, changes = apply_rule(
            app.store, app.backend, _themer(), rule, path, stamp, replace=replace
        )
        current_app.extensions[_RULES_STAMP] = path.stat().st_mtime_ns
    return {
        "rule": rule.model_dump(exclude_none=True),
        "replaces": replaced,
        "applied": True,
        **_summary(changes),
    }


def _summary(changes: list[Any]) -> dict[str, Any]:
    return {
        "changed": len(changes),
        "gained": sum(1 for c in changes if c.gained),
        "lost": sum(1 for c in changes if c.lost),
        "records": [c.as_json() for c in changes],
    }
