"""Theme maintenance over the store, never the network: re-theme, preview a rule change,
apply it, and report what is still unmapped.

- `retheme`: recompute every (or some) record's themes; write the changed ones back to the
  store (`Store.set_themes`, which leaves content hashes alone) and to the index.
- `preview`: what a draft rule would change, record by record (themes gained and lost, with
  the evidence of the gains), computed by running the current rules and the draft side by
  side. Nothing is written. Only records the old or new version of the rule can touch are
  re-themed, so a preview costs a pass of cheap condition checks over the store plus a
  few full matches.
- `apply_rule`: the same diff, then the rule is saved in the rules file, in place (comments
  and formatting kept: indexer/rules_file.py), and exactly those records are re-themed in
  the store and re-indexed. No harvest. An existing rule id is replaced only when asked.
- `unmapped`: keywords no step used, ranked by how many records they would reach, and how
  many of those records have no theme at all (the first mappings to add).
- `coverage`: per source, records with at least one theme.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer.backends.base import SearchBackend
from indexer.rules import Rule
from indexer.rules_file import save_rule
from indexer.store import Store
from indexer.themes import Themer
from indexer.thesaurus import label_keys
from moisson.errors import Conflict
from moisson.record import Record, Theme

__all__ = [
    "Change",
    "Coverage",
    "apply_rule",
    "coverage",
    "describe",
    "preview",
    "retheme",
    "unmapped",
]

logger = logging.getLogger(__name__)

_BATCH = 500


@dataclass
class Change:
    """How one record's themes differ between two rule sets."""

    record_id: str
    title: str
    source_id: str
    gained: list[Theme] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.record_id,
            "title": self.title,
            "source": self.source_id,
            "gained": [t.model_dump(mode="json", include={"id", "evidence"}) for t in self.gained],
            "lost": list(self.lost),
        }


Stamp = Callable[[Iterable[Record]], Iterable[Record]]


def _batches(records: Iterable[Record], size: int = _BATCH) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _ids(themes: Iterable[Theme]) -> list[str]:
    return [t.id for t in themes]


def retheme(
    store: Store,
    backend: SearchBackend | None,
    themer: Themer,
    ids: Iterable[str] | None = None,
    stamp: Stamp | None = None,
) -> list[str]:
    """Recompute themes (of `ids`, or of every active record); store and index the records
    whose themes or evidence changed. Returns their ids. `stamp` prepares records for the
    index (indexer/collapse.py: their duplicate cluster role, which the store does not
    keep); without it a re-themed copy would show as its own cluster."""
    wanted = None if ids is None else set(ids)
    changed_ids: list[str] = []
    source = store.iter_records() if wanted is None else (store.get(i) for i in sorted(wanted))
    for batch in _batches(source):
        changed = []
        for record in batch:
            themes = themer.assign(record)
            if themes != record.themes:
                changed.append(record.model_copy(update={"themes": themes}))
        if changed:
            store.set_themes(changed)
            if backend is not None:
                backend.index(list(stamp(changed)) if stamp is not None else changed)
            changed_ids += [r.id for r in changed]
    logger.info("re-themed %d records", len(changed_ids))
    return changed_ids


def _touches(themer: Themer, rule: Rule | None, record: Record) -> bool:
    """Whether `rule`'s condition holds for `record` (so the rule can change its themes)."""
    if rule is None:
        return False
    kind, value = rule.condition
    if kind == "source":
        return record.provenance.source_id == value
    if kind == "pattern":
        return themer.pattern_hits(rule, record)
    return any(r.id == rule.id for k in record.keywords for r, _, _ in themer.keyword_rule_hits(k))


def preview(store: Store, current: Themer, draft: Rule) -> list[Change]:
    """Records whose themes the draft rule (new, or replacing the rule with its id) would
    change, with the themes gained (and their evidence) and lost. Writes nothing."""
    proposed = current.with_rules(current.rules.with_rule(draft))
    old = next((r for r in current.rules.rules if r.id == draft.id), None)
    changes: list[Change] = []
    for record in store.iter_records():
        if not (_touches(proposed, draft, record) or _touches(current, old, record)):
            continue
        before = current.assign(record)
        after = proposed.assign(record)
        gained = [t for t in after if t.id not in _ids(before)]
        lost = [t.id for t in before if t.id not in _ids(after)]
        if gained or lost:
            changes.append(
                Change(record.id, record.title, record.provenance.source_id, gained, lost)
            )
    return changes


def describe(rule: Rule) -> str:
    """One line saying what a rule does: `map keyword 'x' -> wetlands`."""
    kind, value = rule.condition
    target = f" -> {rule.concept}" if rule.concept else ""
    return f"{rule.action} {kind} {value!r}{target} ({rule.comment})"


def apply_rule(
    store: Store,
    backend: SearchBackend,
    current: Themer,
    draft: Rule,
    rules_path: Path,
    stamp: Stamp | None = None,
    *,
    replace: bool = False,
) -> tuple[Themer, list[Change]]:
    """Save `draft` in the rules file (in place: rules_file.save_rule) and re-theme the
    records it changes (store and index). A rule with the id of an existing one replaces it
    only with `replace`; otherwise Conflict, and nothing changes (a shipped rule is never
    lost to a reused id). Returns the new Themer and the changes."""
    existing = next((r for r in current.rules.rules if r.id == draft.id), None)
    if existing is not None and not replace:
        raise Conflict(
            f"a rule with id {draft.id!r} already exists: {describe(existing)}; "
            'send "replace": true to replace it, or choose another id'
        )
    changes = preview(store, current, draft)
    rules = current.rules.with_rule(draft)
    save_rule(rules_path, draft)
    themer = current.with_rules(rules)
    retheme(store, backend, themer, [c.record_id for c in changes], stamp)
    return themer, changes


def unmapped(store: Store, themer: Themer, limit: int = 50) -> list[dict[str, object]]:
    """Keywords no step used, most records first: `records` they appear in, and how many of
    those have no theme at all (`unthemed`: no theme in the store, as search shows them;
    every rule applied re-themes the store, so this follows the rules in force)."""
    reach: Counter[str] = Counter()
    unthemed: Counter[str] = Counter()
    spelling: dict[str, Counter[str]] = {}
    for record in store.iter_records():
        labels = themer.unmatched_keywords(record)
        if not labels:
            continue
        bare = not record.themes  # as stored and searched; re-matching would cost ~10x
        for key, label in {(label_keys(label) or (label,))[0]: label for label in labels}.items():
            reach[key] += 1
            unthemed[key] += bare
            spelling.setdefault(key, Counter())[label] += 1
    ranked = sorted(reach, key=lambda k: (-reach[k], -unthemed[k], k))[:limit]
    return [
        {
            "keyword": spelling[key].most_common(1)[0][0],
            "records": reach[key],
            "unthemed": unthemed[key],
        }
        for key in ranked
    ]


@dataclass
class Coverage:
    source_id: str
    records: int = 0
    themed: int = 0

    @property
    def share(self) -> float:
        return self.themed / self.records if self.records else 0.0


def coverage(records: Iterable[Record], themer: Themer) -> dict[str, Coverage]:
    """Per source: records, and records the current rules give at least one theme."""
    found: dict[str, Coverage] = {}
    for record in records:
        entry = found.setdefault(record.provenance.source_id, Coverage(record.provenance.source_id))
        entry.records += 1
        entry.themed += bool(themer.assign(record))
    return found
