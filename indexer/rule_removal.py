"""Removing a mapping rule, the way `retheme.apply_rule` adds one: preview the records
whose themes change, then take the rule out of the rules file (in place, comments kept:
rules_file.delete_rule) and re-theme exactly those records in the store and the index.

Only the records the rule's condition holds for can change, so the preview costs one pass
of cheap condition checks over the store plus a few full matches, as for a new rule.
"""

from __future__ import annotations

import logging
from pathlib import Path

from indexer.backends.base import SearchBackend
from indexer.retheme import Change, Stamp, _touches, retheme
from indexer.rules import Rule
from indexer.rules_file import delete_rule
from indexer.store import Store
from indexer.themes import Themer
from moisson.errors import NotFound

__all__ = ["preview_removal", "remove_rule"]

logger = logging.getLogger(__name__)


def _rule(current: Themer, rule_id: str) -> Rule:
    found = next((r for r in current.rules.rules if r.id == rule_id), None)
    if found is None:
        raise NotFound(f"no mapping rule {rule_id!r}")
    return found


def preview_removal(store: Store, current: Themer, rule_id: str) -> list[Change]:
    """Records whose themes would change without the rule (gained: a theme another step
    gives once the rule's `exclude` or `ignore` is gone). Writes nothing."""
    rule = _rule(current, rule_id)
    without = current.with_rules(current.rules.without(rule_id))
    changes: list[Change] = []
    for record in store.iter_records():
        if not _touches(current, rule, record):
            continue
        before = current.assign(record)
        after = without.assign(record)
        before_ids, after_ids = {t.id for t in before}, {t.id for t in after}
        gained = [t for t in after if t.id not in before_ids]
        lost = [t.id for t in before if t.id not in after_ids]
        if gained or lost:
            changes.append(
                Change(record.id, record.title, record.provenance.source_id, gained, lost)
            )
    return changes


def remove_rule(
    store: Store,
    backend: SearchBackend,
    current: Themer,
    rule_id: str,
    rules_path: Path,
    stamp: Stamp | None = None,
) -> tuple[Themer, list[Change]]:
    """Delete the rule from `rules_path` and re-theme the records it changes. NotFound when
    no rule has that id (in force or in the file)."""
    changes = preview_removal(store, current, rule_id)
    if delete_rule(rules_path, rule_id) is None:
        raise NotFound(f"no mapping rule {rule_id!r} in {rules_path}")
    themer = current.with_rules(current.rules.without(rule_id))
    retheme(store, backend, themer, [c.record_id for c in changes], stamp)
    logger.info("removed rule %s: %d records change themes", rule_id, len(changes))
    return themer, changes
