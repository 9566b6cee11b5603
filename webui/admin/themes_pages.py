"""Theme mapping pages of the workbench.

- `/admin/themes`: the unmapped keywords, most records first (indexer/retheme.unmapped),
  each with a "map" link; the rules in force with their comments, to edit or remove.
- `/admin/themes/rule`: the rule form (a keyword, a keyword pattern, a text pattern or a
  source default -> a concept picked from the searchable bilingual tree). "Preview" shows
  the exact records that gain or lose a theme; "apply" saves the rule and re-themes them:
  the functions behind POST /api/admin/mappings/preview and /apply (draft_rule, preview,
  save_mapping), so the page and the API cannot disagree.
- `/admin/themes/rules/<id>/remove`: what removing a rule changes, then the removal.
- `/admin/thesaurus`: the concept tree with each concept's records and evidence mix, and
  the `moisson thesaurus validate` problems.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from werkzeug.wrappers import Response

from indexer.retheme import Change, describe, preview, unmapped
from indexer.rule_removal import preview_removal
from indexer.rules import Rule
from indexer.theme_evidence import evidence_mix
from indexer.thesaurus_check import validate
from moisson.errors import BadQuery, Conflict
from search_api.state import state
from search_api.themes import current_themer, draft_rule, drop_mapping, save_mapping
from webui.admin.base import blueprint, done_redirect, form_text, int_arg
from webui.admin.concept_tree import concept_tree
from webui.i18n import locale
from webui.pages import render_page

__all__ = ["CONDITION_KINDS", "rule_form_values"]

# The conditions the form offers (keyword URIs and thesaurus names stay for the YAML file).
CONDITION_KINDS = ("keyword", "keyword_pattern", "pattern", "source")
ACTIONS = ("map", "exclude")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "rule"


def rule_form_values(rule: Rule | None = None, **prefill: str) -> dict[str, str]:
    """The form's fields, from an existing rule or from query parameters."""
    values = {"id": "", "comment": "", "kind": "keyword", "value": "", "concept": "",
              "action": "map", "replace": ""}  # fmt: skip
    if rule is not None:
        kind, value = rule.condition
        values.update(id=rule.id, comment=rule.comment, kind=kind, value=value,
                      concept=rule.concept or "", action=rule.action, replace="1")  # fmt: skip
    for kind in CONDITION_KINDS:
        if prefill.get(kind):
            values.update(kind=kind, value=prefill[kind])
    if prefill.get("concept"):
        values["concept"] = prefill["concept"]
    return values


def _posted_values() -> dict[str, str]:
    return {
        "id": form_text("id", required=False, limit=81),
        "comment": form_text("comment", required=False),
        "kind": request.form.get("kind", "keyword"),
        "value": form_text("value", required=False),
        "concept": form_text("concept", required=False, limit=200),
        "action": request.form.get("action", "map"),
        "replace": "1" if request.form.get("replace") else "",
    }


def _draft(values: dict[str, str]) -> tuple[Rule, bool]:
    """The posted rule, checked as the API checks a draft (every problem in one message)."""
    if values["kind"] not in CONDITION_KINDS:
        raise BadQuery(f"condition must be one of {', '.join(CONDITION_KINDS)}")
    if values["action"] not in ACTIONS:
        raise BadQuery(f"action must be one of {', '.join(ACTIONS)}")
    if not values["value"]:
        raise BadQuery("give the keyword, pattern or source the rule applies to")
    if values["kind"] == "source":
        known = [s.id for s in state().settings.sources]
        if values["value"] not in known:
            raise BadQuery(f"unknown source {values['value']!r}; known: {', '.join(known)}")
    rule_id = values["id"] or f"{values['action']}-{_slug(values['value'])}"
    body: dict[str, Any] = {
        "id": rule_id,
        "comment": values["comment"] or None,
        "action": values["action"],
        "concept": values["concept"] or None,
        values["kind"]: values["value"],
        "replace": bool(values["replace"]),
    }
    values["id"] = rule_id
    return draft_rule({k: v for k, v in body.items() if v is not None})


def _form_page(values: dict[str, str], code: int = 200, **context: Any) -> tuple[str, int]:
    themer = current_themer()
    lang = locale()
    query = request.args.get("concept_q", "")
    return render_page(
        "admin/rule_form.html",
        code,
        values=values,
        kinds=CONDITION_KINDS,
        actions=ACTIONS,
        sources=state().settings.sources,
        concepts=concept_tree(themer.thesaurus, {}, lang, query),
        concept_q=query,
        existing={r.id for r in themer.rules.rules},
        **context,
    )


def _changes_json(changes: list[Change]) -> list[dict[str, Any]]:
    return [c.as_json() for c in changes]


@blueprint.get("/themes")
def themes() -> tuple[str, int]:
    themer = current_themer()
    limit = int_arg("limit", 50, 1, 1000)
    return render_page(
        "admin/themes.html",
        keywords=unmapped(state().store, themer, limit=limit),
        rules=[(r, describe(r)) for r in themer.rules.rules],
        rules_path=str(state().settings.themes.rules_path),
        limit=limit,
    )


@blueprint.get("/themes/rule")
def rule_form() -> tuple[str, int]:
    editing = request.args.get("edit", "")
    rule = None
    if editing:
        rule = next((r for r in current_themer().rules.rules if r.id == editing), None)
        if rule is None:
            raise BadQuery(f"no mapping rule {editing!r}")
    prefill = {k: request.args.get(k, "") for k in (*CONDITION_KINDS, "concept")}
    return _form_page(rule_form_values(rule, **prefill), editing=editing)


@blueprint.post("/themes/rule/preview")
def rule_preview() -> tuple[str, int]:
    values = _posted_values()
    try:
        rule, _ = _draft(values)
    except BadQuery as exc:
        return _form_page(values, 400, error=exc.message)
    changes = preview(state().store, current_themer(), rule)
    replaces = next((r for r in current_themer().rules.rules if r.id == rule.id), None)
    return _form_page(
        values,
        rule=rule,
        description=describe(rule),
        replaces=describe(replaces) if replaces else None,
        changes=_changes_json(changes),
        gained=sum(1 for c in changes if c.gained),
        lost=sum(1 for c in changes if c.lost),
    )


@blueprint.post("/themes/rule/apply")
def rule_apply() -> Response | tuple[str, int]:
    values = _posted_values()
    try:
        rule, replace = _draft(values)
        _, changes = save_mapping(rule, replace=replace)
    except (BadQuery, Conflict) as exc:  # Conflict: the id is taken and replace not ticked
        return _form_page(values, 400, error=exc.message)
    return done_redirect("webui_admin.themes", "applied", rule=rule.id, changed=len(changes))


@blueprint.get("/themes/rules/<rule_id>/remove")
def rule_remove_preview(rule_id: str) -> tuple[str, int]:
    themer = current_themer()
    rule = next((r for r in themer.rules.rules if r.id == rule_id), None)
    if rule is None:
        raise BadQuery(f"no mapping rule {rule_id!r}")
    changes = preview_removal(state().store, themer, rule_id)
    return render_page(
        "admin/rule_remove.html",
        rule=rule,
        description=describe(rule),
        changes=_changes_json(changes),
    )


@blueprint.post("/themes/rules/<rule_id>/remove")
def rule_remove(rule_id: str) -> Response:
    changes = drop_mapping(rule_id)
    return done_redirect("webui_admin.themes", "removed", rule=rule_id, changed=len(changes))


@blueprint.get("/thesaurus")
def thesaurus() -> tuple[str, int]:
    app = state()
    themer = current_themer()
    query = request.args.get("q", "")
    settings = app.settings.themes
    problems = validate(settings.thesaurus_path, settings.rules_path, settings.languages)
    return render_page(
        "admin/thesaurus.html",
        tree=concept_tree(
            themer.thesaurus, evidence_mix(app.store.iter_records()), locale(), query
        ),
        q=query,
        problems=problems,
        thesaurus_path=str(settings.thesaurus_path),
        rules_path=str(settings.rules_path),
        concepts=len(themer.thesaurus.concepts),
    )
