"""What a thesaurus or rules change would do to the stored records (`moisson thesaurus
impact`): the matcher (indexer/themes.py) runs on every record with the old and with the
new version, and the two theme lists are compared. Nothing is written anywhere, so it runs
on a read-only store or a snapshot (indexer/snapshot.py) in a forge CI job.

Per theme (concept id): records filed under it before and after, the records that gain it
(with the new evidence) and lose it (with the evidence that no longer holds), and those that
keep it under another label or another broader concept (what search pages and facets will
show differently). Over all: themes that become empty, records left without any theme, and
per source the share of records with a theme, before -> after.

A theme counts a record filed directly under it, not through a narrower concept, because
that is what the matcher decides and what a reviewer can check against the evidence.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from indexer.impact_scope import ChangeScope
from indexer.themes import Themer
from moisson.record import Record, Theme, ThemeEvidence

__all__ = ["Example", "Impact", "SourceCoverage", "ThemeDelta", "compute_impact", "evidence_text"]

logger = logging.getLogger(__name__)


def evidence_text(evidence: ThemeEvidence) -> str:
    """One line a reviewer can check: step, rule, record field and value, what it matched."""
    rule = f" {evidence.rule}" if evidence.rule else ""
    target = f" -> {evidence.target}" if evidence.target else ""
    return f"{evidence.step}{rule}: {evidence.field} {evidence.matched!r}{target}"


@dataclass
class Example:
    """One record shown in a report, with the evidence behind its change."""

    record_id: str
    title: str
    source_id: str
    evidence: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.record_id,
            "title": self.title,
            "source": self.source_id,
            "evidence": list(self.evidence),
        }


@dataclass
class ThemeDelta:
    """How one theme's records change. `label` is the new prefLabel (the old one for a
    removed concept)."""

    concept: str
    label: str = ""
    before: int = 0
    after: int = 0
    gained: int = 0
    lost: int = 0
    relabelled: int = 0
    moved: int = 0
    gained_examples: list[Example] = field(default_factory=list)
    lost_examples: list[Example] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.gained or self.lost or self.relabelled or self.moved)

    def as_json(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "label": self.label,
            "before": self.before,
            "after": self.after,
            "gained": self.gained,
            "lost": self.lost,
            "relabelled": self.relabelled,
            "moved": self.moved,
            "gained_examples": [e.as_json() for e in self.gained_examples],
            "lost_examples": [e.as_json() for e in self.lost_examples],
        }


@dataclass
class SourceCoverage:
    source_id: str
    records: int = 0
    themed_before: int = 0
    themed_after: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source_id,
            "records": self.records,
            "themed_before": self.themed_before,
            "themed_after": self.themed_after,
        }


@dataclass
class Impact:
    records: int = 0
    changed_records: int = 0
    rematched: int = 0  # records the new matcher ran on (the others cannot change)
    themes: dict[str, ThemeDelta] = field(default_factory=dict)
    unthemed: int = 0  # records with a theme before and none after
    unthemed_examples: list[Example] = field(default_factory=list)
    coverage: dict[str, SourceCoverage] = field(default_factory=dict)

    def changed_themes(self) -> list[ThemeDelta]:
        """Themes whose records change, most affected first."""
        found = [d for d in self.themes.values() if d.changed]
        return sorted(
            found, key=lambda d: (-(d.gained + d.lost), -(d.relabelled + d.moved), d.concept)
        )

    def emptied(self) -> list[str]:
        """Themes with records before and none after."""
        return sorted(c for c, d in self.themes.items() if d.before and not d.after)

    def as_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "changed_records": self.changed_records,
            "themes": [d.as_json() for d in self.changed_themes()],
            "emptied_themes": self.emptied(),
            "left_without_theme": self.unthemed,
            "left_without_theme_examples": [e.as_json() for e in self.unthemed_examples],
            "coverage": [self.coverage[s].as_json() for s in sorted(self.coverage)],
        }


def _example(record: Record, theme: Theme | None) -> Example:
    evidence = [evidence_text(e) for e in theme.evidence] if theme is not None else []
    return Example(record.id, record.title, record.provenance.source_id, evidence)


def compute_impact(
    records: Iterable[Record],
    old: Themer,
    new: Themer,
    examples: int = 5,
    *,
    prune: bool = True,
    scope: ChangeScope | None = None,
) -> Impact:
    """Run both matchers on every record and compare (see the module docstring). Keeps the
    first `examples` records per theme and direction, in the order `records` come (the
    store's and the snapshot's order: record id).

    With `prune` (the default), the new matcher runs only on the records the change can
    reach (indexer/impact_scope.py); the others keep their old themes, which is what the
    new matcher would give them. `prune=False` runs it on every record. `scope` is the
    ChangeScope of (old, new) when the caller built it already (indexer/impact_workers.py)."""
    impact = Impact()
    if prune and scope is None:
        scope = ChangeScope(old, new)
    elif not prune:
        scope = None

    def delta(concept: str) -> ThemeDelta:
        found = impact.themes.get(concept)
        if found is None:
            source = new.thesaurus.concepts.get(concept) or old.thesaurus.concepts.get(concept)
            label = source.pref("en", ("fr",)) if source is not None else concept
            found = impact.themes[concept] = ThemeDelta(concept, label)
        return found

    for record in records:
        themes = old.assign(record)
        before = {t.id: t for t in themes}
        if scope is None or scope.may_change(record, themes):
            after = {t.id: t for t in new.assign(record)}
            impact.rematched += 1
        else:
            after = before
        impact.records += 1
        source = impact.coverage.setdefault(
            record.provenance.source_id, SourceCoverage(record.provenance.source_id)
        )
        source.records += 1
        source.themed_before += bool(before)
        source.themed_after += bool(after)
        for concept in before:
            delta(concept).before += 1
        for concept in after:
            delta(concept).after += 1
        changed = False
        for concept, theme in after.items():
            if concept in before:
                kept = before[concept]
                if kept.labels != theme.labels:
                    delta(concept).relabelled += 1
                    changed = True
                if kept.broader != theme.broader:
                    delta(concept).moved += 1
                    changed = True
                continue
            entry = delta(concept)
            entry.gained += 1
            changed = True
            if len(entry.gained_examples) < examples:
                entry.gained_examples.append(_example(record, theme))
        for concept, theme in before.items():
            if concept in after:
                continue
            entry = delta(concept)
            entry.lost += 1
            changed = True
            if len(entry.lost_examples) < examples:
                entry.lost_examples.append(_example(record, theme))
        if before and not after:
            impact.unthemed += 1
            if len(impact.unthemed_examples) < examples:
                impact.unthemed_examples.append(
                    Example(
                        record.id,
                        record.title,
                        record.provenance.source_id,
                        [f"lost {concept}" for concept in before],
                    )
                )
        impact.changed_records += changed
    logger.info("impact: %d of %d records change themes", impact.changed_records, impact.records)
    return impact
