"""What changed between two versions of the theme thesaurus and its mapping rules
(`moisson thesaurus diff`), as a flat list of `DiffEntry` a reviewer reads top to bottom.

Concepts are compared by URI (the id is its local name, so the same thing):

| kind | when |
|---|---|
| `concept-added` / `concept-removed` | a URI in one version only |
| `renamed` | same URI, another prefLabel in some language |
| `moved` | same URI, another set of skos:broader |
| `label-added` / `label-removed` | a pref, alt or hidden label, per language |
| `match-added` / `match-removed` | a skos:*Match target |
| `rule-added` / `rule-removed` / `rule-changed` | a mapping rule, by id |
| `vocabulary-added` / `vocabulary-removed` | a vocabulary prefix of the rules file |

Labels of added or removed concepts are not listed again. Each entry names the
concepts whose records it can re-theme (`concepts`), so the impact report
(indexer/theme_impact.py) can show a change beside what it does. Pure: two loaded thesauri
and two rule sets in, entries out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from indexer.rules import Rule, RuleSet
from indexer.thesaurus import LABEL_KINDS, MATCH_RELATIONS, Concept, Thesaurus

__all__ = ["KINDS", "DiffEntry", "ThesaurusDiff", "diff_rules", "diff_thesauri", "diff_versions"]


KINDS = (
    "concept-added",
    "concept-removed",
    "renamed",
    "moved",
    "label-added",
    "label-removed",
    "match-added",
    "match-removed",
    "rule-added",
    "rule-removed",
    "rule-changed",
    "vocabulary-added",
    "vocabulary-removed",
)


@dataclass(frozen=True)
class DiffEntry:
    """One change. `subject` is a concept id, rule id or vocabulary prefix; `text` is the
    sentence a reviewer reads; `detail` the same, structured, for JSON readers."""

    kind: str
    subject: str
    text: str
    detail: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    concepts: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "text": self.text,
            "concepts": list(self.concepts),
            **self.detail,
        }


@dataclass
class ThesaurusDiff:
    entries: list[DiffEntry] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """kind -> number of entries, in `KINDS` order, kinds with none left out."""
        found = Counter(e.kind for e in self.entries)
        return {kind: found[kind] for kind in KINDS if found[kind]}

    def of_kind(self, kind: str) -> list[DiffEntry]:
        return [e for e in self.entries if e.kind == kind]

    def touching(self) -> dict[str, list[DiffEntry]]:
        """concept id -> the entries that can change its records."""
        found: dict[str, list[DiffEntry]] = {}
        for entry in self.entries:
            for concept in entry.concepts:
                found.setdefault(concept, []).append(entry)
        return found

    def __bool__(self) -> bool:
        return bool(self.entries)


def _pref(concept: Concept) -> str:
    return concept.pref("en", ("fr",))


def _labels(concept: Concept) -> set[tuple[str, str, str]]:
    return set(concept.all_labels(LABEL_KINDS))


def _concept_entries(old: Concept, new: Concept) -> list[DiffEntry]:
    entries: list[DiffEntry] = []
    cid = new.id
    before, after = old.pref_labels(), new.pref_labels()
    if before != after:
        changed = sorted(
            lang for lang in set(before) | set(after) if before.get(lang) != after.get(lang)
        )
        parts = [f"{lang}: {before.get(lang)!r} -> {after.get(lang)!r}" for lang in changed]
        entries.append(
            DiffEntry(
                "renamed",
                cid,
                f"{cid} renamed ({'; '.join(parts)})",
                {"before": before, "after": after},
                (cid,),
            )
        )
    if sorted(old.broader) != sorted(new.broader):
        entries.append(
            DiffEntry(
                "moved",
                cid,
                f"{cid} moved: broader {', '.join(old.broader) or '(top)'} -> "
                f"{', '.join(new.broader) or '(top)'}",
                {"before": sorted(old.broader), "after": sorted(new.broader)},
                (cid,),
            )
        )
    old_labels, new_labels = _labels(old), _labels(new)
    for change, labels in (
        ("added", new_labels - old_labels),
        ("removed", old_labels - new_labels),
    ):
        for kind, lang, label in sorted(labels):
            entries.append(
                DiffEntry(
                    f"label-{change}",
                    cid,
                    f"{cid}: {kind} {label!r}@{lang or '-'} {change}",
                    {"label_kind": kind, "language": lang, "label": label},
                    (cid,),
                )
            )
    for change, source, other in (("added", new, old), ("removed", old, new)):
        for relation in MATCH_RELATIONS:
            targets = set(source.matches.get(relation, [])) - set(other.matches.get(relation, []))
            for target in sorted(targets):
                entries.append(
                    DiffEntry(
                        f"match-{change}",
                        cid,
                        f"{cid}: skos:{relation} <{target}> {change}",
                        {"relation": relation, "target": target},
                        (cid,),
                    )
                )
    return entries


def diff_thesauri(old: Thesaurus, new: Thesaurus) -> ThesaurusDiff:
    """Concept-level changes from `old` to `new` (see the module docstring)."""
    before = {c.uri: c for c in old.concepts.values()}
    after = {c.uri: c for c in new.concepts.values()}
    diff = ThesaurusDiff()
    for uri in sorted(after.keys() - before.keys(), key=lambda u: after[u].id):
        concept = after[uri]
        diff.entries.append(
            DiffEntry(
                "concept-added",
                concept.id,
                f"{concept.id} added ({_pref(concept)!r}, broader "
                f"{', '.join(concept.broader) or '(top)'})",
                {"uri": uri, "labels": concept.pref_labels(), "broader": concept.broader},
                (concept.id,),
            )
        )
    for uri in sorted(before.keys() - after.keys(), key=lambda u: before[u].id):
        concept = before[uri]
        diff.entries.append(
            DiffEntry(
                "concept-removed",
                concept.id,
                f"{concept.id} removed ({_pref(concept)!r})",
                {"uri": uri, "labels": concept.pref_labels(), "broader": concept.broader},
                (concept.id,),
            )
        )
    for uri in sorted(before.keys() & after.keys(), key=lambda u: after[u].id):
        diff.entries += _concept_entries(before[uri], after[uri])
    return diff


def _rule_json(rule: Rule) -> dict[str, Any]:
    return rule.model_dump(mode="json", exclude_defaults=True)


def diff_rules(old: RuleSet, new: RuleSet) -> ThesaurusDiff:
    """Rule and vocabulary changes from `old` to `new`, rules compared by id."""
    diff = ThesaurusDiff()
    before = {r.id: r for r in old.rules}
    after = {r.id: r for r in new.rules}
    for rule_id in sorted(after.keys() - before.keys()):
        rule = after[rule_id]
        name, value = rule.condition
        diff.entries.append(
            DiffEntry(
                "rule-added",
                rule_id,
                f"rule {rule_id} added: {rule.action} {name} {value!r}"
                + (f" -> {rule.concept}" if rule.concept else ""),
                {"after": _rule_json(rule)},
                (rule.concept,) if rule.concept else (),
            )
        )
    for rule_id in sorted(before.keys() - after.keys()):
        rule = before[rule_id]
        diff.entries.append(
            DiffEntry(
                "rule-removed",
                rule_id,
                f"rule {rule_id} removed ({rule.action}"
                + (f" -> {rule.concept}" if rule.concept else "")
                + ")",
                {"before": _rule_json(rule)},
                (rule.concept,) if rule.concept else (),
            )
        )
    for rule_id in sorted(before.keys() & after.keys()):
        old_json, new_json = _rule_json(before[rule_id]), _rule_json(after[rule_id])
        if old_json == new_json:
            continue
        fields = sorted(
            k for k in set(old_json) | set(new_json) if old_json.get(k) != new_json.get(k)
        )
        parts = [f"{k}: {old_json.get(k)!r} -> {new_json.get(k)!r}" for k in fields]
        concepts = dict.fromkeys(c for c in (before[rule_id].concept, after[rule_id].concept) if c)
        diff.entries.append(
            DiffEntry(
                "rule-changed",
                rule_id,
                f"rule {rule_id} changed ({'; '.join(parts)})",
                {"before": old_json, "after": new_json},
                tuple(concepts),
            )
        )
    old_prefixes = {v.prefix for v in old.vocabularies}
    new_prefixes = {v.prefix for v in new.vocabularies}
    for change, prefixes in (
        ("added", new_prefixes - old_prefixes),
        ("removed", old_prefixes - new_prefixes),
    ):
        for prefix in sorted(prefixes):
            diff.entries.append(
                DiffEntry(f"vocabulary-{change}", prefix, f"vocabulary <{prefix}> {change}")
            )
    return diff


def diff_versions(
    old: Thesaurus, old_rules: RuleSet, new: Thesaurus, new_rules: RuleSet
) -> ThesaurusDiff:
    """Thesaurus changes, then rule changes."""
    return ThesaurusDiff(diff_thesauri(old, new).entries + diff_rules(old_rules, new_rules).entries)
