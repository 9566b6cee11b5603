"""The thesaurus as the workbench shows it: a tree of concepts with their labels in both
languages, the records filed under each and the evidence mix (indexer/theme_evidence.py),
optionally cut down to the concepts whose labels match a search (and their ancestors, so
the tree keeps its shape). Used by the concept picker of the rule form and by the
thesaurus browser."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from indexer.theme_evidence import STEPS, ConceptEvidence
from indexer.thesaurus import Concept, Thesaurus

__all__ = ["ConceptNode", "concept_tree", "folded"]


def folded(text: str) -> str:
    """Lower case without accents: 'Énergie' and 'energie' match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class ConceptNode:
    id: str
    uri: str
    label: str  # in the page's language
    other_label: str  # in the other language
    definition: str
    records: int
    steps: dict[str, int]
    rules: list[str]
    matched: bool  # its own labels match the search (always True without a search)
    children: list[ConceptNode] = field(default_factory=list)


def _matches(concept: Concept, needle: str) -> bool:
    return any(needle in folded(label) for _, _, label in concept.all_labels()) or (
        needle in folded(concept.id)
    )


def concept_tree(
    thesaurus: Thesaurus,
    mix: dict[str, ConceptEvidence],
    lang: str,
    query: str = "",
    tops: Iterable[str] | None = None,
) -> list[ConceptNode]:
    """The tree from the top concepts down; with `query`, only matching concepts and the
    path to them."""
    other = "fr" if lang == "en" else "en"
    needle = folded(query.strip())

    def build(concept_id: str, seen: frozenset[str]) -> ConceptNode | None:
        concept = thesaurus.concepts[concept_id]
        children = [
            node
            for child in concept.narrower
            if child in thesaurus.concepts and child not in seen
            for node in [build(child, seen | {child})]
            if node is not None
        ]
        matched = not needle or _matches(concept, needle)
        if not matched and not children:
            return None
        evidence = mix.get(concept_id, ConceptEvidence(concept_id))
        return ConceptNode(
            id=concept.id,
            uri=concept.uri,
            label=concept.pref(lang, [other]),
            other_label=concept.pref(other, [lang]),
            definition=concept.definitions.get(lang) or concept.definitions.get(other, ""),
            records=evidence.records,
            steps={s: evidence.steps[s] for s in STEPS if evidence.steps[s]},
            rules=sorted(evidence.rules),
            matched=matched,
            children=children,
        )

    found = [build(top, frozenset({top})) for top in (tops or thesaurus.tops())]
    return [node for node in found if node is not None]
