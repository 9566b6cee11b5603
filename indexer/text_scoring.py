"""The text step of the theme matcher: a record's title and abstract scored against each
concept's labels, and at most one concept kept — the one the text is clearly about.

Why scored: counting label occurrences filed any record whose abstract said 'communes' or
'routes' three times under administrative units or transport. Here:

- every label of a concept — its own (fr, en) and those it borrows from the vocabularies it
  *Matches, in ~25 languages (indexer/thesaurus.py) — is looked for in the record's text in
  the label's own language (Snowball stems, indexer/matching_text.py): French and English
  always, plus the record's metadata language; a label counts only when all its words are
  there, and not when its words are part of a longer label found ('sol' inside 'occupation
  du sol');
- a found label weighs the sum, over its words, of the word's IDF among the concepts' labels
  (a word many concepts use, 'zones' or 'données', says little; one only wetlands use says
  much) times BM25's saturating term frequency (k1 = 1.2; a title occurrence counts double),
  so repeating a word helps less and less;
- a concept scores the sum of its labels found; the best concept is kept only when its score
  reaches the threshold AND beats the best concept off its branch (not an ancestor or a
  descendant) by `MARGIN` and by a tenth of its own score: a text that scores two subjects
  alike is clearly about neither.

The threshold is `[themes] text_threshold` (default 3) times `POINT`, the weight of one
occurrence of a fairly distinctive word in the abstract, so the setting keeps its meaning
of "occurrence points". Calibrated with bench/theme_eval.py on the real fixture records.
A concept whose best label the title names and the abstract repeats needs `CONFIRMED`
points fewer: 'aantal ton geladen op de waterwegen' / '... langs waterwegen beheerd door De
Vlaamse Waterweg' is about waterways although one label is all it has, while one label in
the abstract alone ('Informationen zu Adresse') still files nothing.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections import Counter
from dataclasses import dataclass

from indexer.analysis import tokenise
from indexer.matching_text import (
    MATCH_STOPWORDS,
    record_language,
    stems,
    text_stems,
)
from indexer.thesaurus import Thesaurus

__all__ = ["MARGIN", "POINT", "TextHit", "TextScorer"]

K1 = 1.2
POINT = 3.0  # ~ idf of a word used by 3-4 concepts of 70, seen once in the abstract
MARGIN = 2.0  # points, and at least RELATIVE_MARGIN of the winner's score
RELATIVE_MARGIN = 0.1
CONFIRMED = 1  # points off the threshold for a label in the title repeated in the abstract


@dataclass(frozen=True)
class _Label:
    concept: str
    language: str
    label: str
    terms: tuple[str, ...]  # stems in `language`, stopwords dropped


# A label found by its first term: minus its length (the sort key), the label, its terms,
# their set, their IDFs in order, and the term sets of the labels that strictly contain it.
_Entry = tuple[
    int, _Label, tuple[str, ...], frozenset[str], tuple[float, ...], frozenset[frozenset[str]]
]
_NEGATIVE_LENGTH = operator.itemgetter(0)
_NOTHING = (0.0, "", "")


@dataclass(frozen=True)
class TextHit:
    """The concept the text step keeps, with what it found."""

    concept: str
    label: str  # its best label found
    field: str  # where that label was found first (title before abstract)
    score: float
    runner_up: float


class TextScorer:
    """Label index of one thesaurus, built once; `best` is pure and thread-safe."""

    def __init__(self, thesaurus: Thesaurus, threshold_points: float = 3) -> None:
        self.threshold = threshold_points * POINT
        self.branch = {
            c: {c, *thesaurus.ancestors(c), *thesaurus.descendants(c)} for c in thesaurus.concepts
        }
        labels: list[_Label] = []
        for concept in thesaurus.concepts.values():
            for _, language, label in concept.all_labels(("prefLabel", "altLabel")):
                labels.append(self._label(concept.id, language or "fr", label))
        for borrowed in thesaurus.borrowed:
            labels.append(self._label(borrowed.concept, borrowed.language, borrowed.label))
        self.labels = [lab for lab in dict.fromkeys(labels) if lab.terms]
        concepts_of: dict[tuple[str, str], set[str]] = {}
        for lab in self.labels:
            for term in lab.terms:
                concepts_of.setdefault((lab.language, term), set()).add(lab.concept)
        total = len(thesaurus.concepts) or 1
        self.idf = {key: math.log(1 + total / len(found)) for key, found in concepts_of.items()}
        self.languages = {lab.language for lab in self.labels}
        # Labels by (language, first term): a record only looks at labels it may contain.
        self.by_first: dict[tuple[str, str], list[_Label]] = {}
        for lab in self.labels:
            self.by_first.setdefault((lab.language, lab.terms[0]), []).append(lab)
        # The same, per language, with what scoring a found label needs precomputed: one
        # dict lookup per distinct record term, no (language, term) tuple built per word.
        containing: dict[tuple[str, str], set[frozenset[str]]] = {}  # term -> label sets
        for lab in self.labels:
            for term in lab.terms:
                containing.setdefault((lab.language, term), set()).add(frozenset(lab.terms))
        self._first: dict[str, dict[str, list[_Entry]]] = {}
        for (lang, term), found in self.by_first.items():
            self._first.setdefault(lang, {})[term] = [
                (
                    -len(lab.terms),
                    lab,
                    lab.terms,
                    frozenset(lab.terms),
                    tuple(self.idf[(lang, t)] for t in lab.terms),
                    frozenset(
                        other
                        for other in containing[(lang, lab.terms[0])]
                        if frozenset(lab.terms) < other
                    ),
                )
                for lab in found
            ]

    @staticmethod
    def _label(concept: str, language: str, label: str) -> _Label:
        words = [w for w in tokenise(label) if w not in MATCH_STOPWORDS] or tokenise(label)
        return _Label(concept, language, label, tuple(stems(words, language)))

    def best(self, title: str, abstract: str | None, language: str | None) -> TextHit | None:
        """The concept the text is clearly about, or None (see the module docstring)."""
        languages = ["fr", "en"]
        own = record_language(language)
        if own and own not in languages and own in self.languages:
            languages.append(own)
        scores: dict[str, float] = {}
        best_label: dict[str, tuple[float, str, str]] = {}
        confirmed: set[str] = set()  # concepts with a label in the title and the abstract
        for lang in languages:
            first = self._first.get(lang)
            if not first:
                continue
            title_stems = text_stems(title, lang)
            # Term frequency: a title occurrence counts double. Counted in C, keys in the
            # order of first occurrence: the title's terms, then the abstract's new ones.
            abstract_stems = text_stems(abstract or "", lang)
            frequency = Counter(title_stems + title_stems + abstract_stems)
            terms_in = frequency.keys()
            # The labels' first terms found, in text order (set intersection and sort in C).
            starting = first.keys() & terms_in
            if len(starting) > 1:
                order = dict(zip(frequency, itertools.count()))
                starting = sorted(starting, key=order.__getitem__)
            found = [entry for term in starting for entry in first[term] if terms_in >= entry[3]]
            # Longest label wins: 'occupation du sol' counts for land cover, and the shorter
            # 'sol' (soil) inside it does not count again (nor does any label whose terms
            # are a strict subset of a label counted: `supersets`, precomputed).
            found.sort(key=_NEGATIVE_LENGTH)
            counted: set[frozenset[str]] = set()
            title_terms = set(title_stems)
            abstract_terms = set(abstract_stems)
            for _, lab, terms, term_set, idfs, supersets in found:
                if supersets and not counted.isdisjoint(supersets):
                    continue
                counted.add(term_set)
                weight = 0.0
                for t, idf in zip(terms, idfs, strict=True):
                    f = frequency[t]
                    weight += idf * f * (K1 + 1) / (f + K1)
                scores[lab.concept] = scores.get(lab.concept, 0) + weight
                in_title = title_terms >= term_set
                if in_title and abstract_terms >= term_set:
                    confirmed.add(lab.concept)
                if weight > best_label.get(lab.concept, _NOTHING)[0]:
                    where = "title" if in_title else "abstract"
                    best_label[lab.concept] = (weight, lab.label, where)
        if not scores:
            return None
        concept, score = max(scores.items(), key=lambda item: item[1])
        # The runner-up is off the winner's branch: wetlands and water scoring alike is
        # one subject, wetlands and roads two.
        branch = self.branch.get(concept, {concept})
        runner_up = max((v for c, v in scores.items() if c not in branch), default=0.0)
        threshold = self.threshold - (CONFIRMED * POINT if concept in confirmed else 0.0)
        if score < threshold or score - runner_up < max(MARGIN, RELATIVE_MARGIN * score):
            return None
        _, label, where = best_label[concept]
        return TextHit(concept, label, where, round(score, 2), round(runner_up, 2))
