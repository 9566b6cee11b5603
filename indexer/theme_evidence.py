"""Per concept of the thesaurus: how many records are filed under it and by which matcher
steps (the evidence mix), for the thesaurus browser of the admin workbench.

A concept filed mostly by `text` (labels found in titles) is fragile; one filed by `uri`
and `label` rests on the producers' own keywords; `rule` shows the admins' mappings at
work. Seeing the mix per concept tells an admin where a mapping would help. Pure over
Records (the stored themes and their evidence), so it needs no matcher run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from moisson.record import Record

__all__ = ["STEPS", "ConceptEvidence", "evidence_mix"]

STEPS = ("uri", "label", "rule", "text")


@dataclass
class ConceptEvidence:
    """`records` filed directly under the concept; `steps` counts, per matcher step, the
    records with at least one piece of evidence from that step; `rules` the rule ids that
    filed records under it."""

    concept: str
    records: int = 0
    steps: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)

    def shares(self) -> dict[str, float]:
        """Each step's share of the records (they can add up to more than 1: a record may
        carry evidence of several steps)."""
        return {s: self.steps[s] / self.records if self.records else 0.0 for s in STEPS}


def evidence_mix(records: Iterable[Record]) -> dict[str, ConceptEvidence]:
    """Concept id -> its ConceptEvidence, for every concept at least one record has."""
    found: dict[str, ConceptEvidence] = {}
    for record in records:
        for theme in record.themes:
            entry = found.setdefault(theme.id, ConceptEvidence(theme.id))
            entry.records += 1
            for step in {e.step for e in theme.evidence}:
                entry.steps[step] += 1
            for rule in {e.rule for e in theme.evidence if e.rule}:
                entry.rules[rule] += 1
    return found
