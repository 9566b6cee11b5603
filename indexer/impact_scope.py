"""Which records a thesaurus or rules change can re-theme, decided without running the new
matcher: what makes `thesaurus impact` fit a CI job (100k records in under a minute).

The matcher (indexer/themes.py) reads a version through a few lookup tables. Two versions
give every record the same themes unless the record reaches a table entry that differs:

- a keyword URI or topic category whose concepts differ (`Thesaurus.by_uri`, `by_match`);
- a keyword label, one of its path segments or the head of a German or Dutch compound,
  whose language key maps to other labels (`Thesaurus.by_language_key`, own and borrowed
  labels) or became or stopped being a single-word key (`single_word_keys`);
- a title or abstract in which the text step (indexer/text_scoring.py) finds a label (all
  its stems there, in a language it reads the record in) that was added or removed, or that
  belongs to a concept whose branch changed (the runner-up is taken off the winner's
  branch), or a label found with either version holding a stem whose idf changed;
- a title or abstract in which the text step finds any label at all (with either version),
  when the change moves every score or the bar: the number of concepts changed (every idf)
  or the text threshold changed. A text in which no label is found scores nothing either way;
- a record in a language the text step reads with one version only;
- a rule that differs, exists in one version only, or names a concept that changed, and
  whose condition holds for the record in either version (`ignore`, `exclude` and `source`
  rules included);
- a theme of the record (with the old version) whose output differs: URI, prefLabels or
  ancestors (a rename, a move, a removal).

A record that reaches none of them gets the old themes again (same concepts, labels and
broader concepts; only a kept theme's evidence text, such as a text score, may differ, and
impact does not compare it), so impact reuses them; any other record is matched again with
the new version. When the rule order changes, every record is matched again. The impact
tests compare both paths on the real thesaurus and the fixture records for every kind of
change.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

from indexer.analysis import tokenise
from indexer.matching_text import (
    MATCH_STOPWORDS,
    compound_heads,
    keyword_keys,
    keyword_segments,
    label_key,
    record_language,
    stems,
)
from indexer.rules import Rule
from indexer.text_scoring import TextScorer
from indexer.themes import TOPIC_CATEGORY_BASE, Themer
from indexer.thesaurus import Thesaurus, canonical_uri
from moisson.record import Record, Theme

__all__ = ["ChangeScope"]

logger = logging.getLogger(__name__)


_K = TypeVar("_K")


def _changed_keys(old: Mapping[_K, object], new: Mapping[_K, object]) -> set[_K]:
    return {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


def _output(thesaurus: Thesaurus, concept: str) -> tuple[object, ...] | None:
    found = thesaurus.concepts.get(concept)
    if found is None:
        return None
    return (found.uri, found.pref_labels(), thesaurus.ancestors(concept))


_Terms = tuple[str, tuple[str, ...]]  # (language, stems) of a text label


def _text_watch(old: TextScorer, new: TextScorer, moved: set[str]) -> set[_Terms]:
    """The labels through which the text step (indexer/text_scoring.py) may score a record
    differently when the number of concepts is the same, as (language, stems): the labels
    added or removed (found, they count and hide the shorter labels inside them) and the
    labels of the concepts whose branch changed (the runner-up is taken off the winner's
    branch). A label counts only where all its stems are, so a record that holds all the
    stems of none of them is scored the same through them."""
    watch = {(lab.language, lab.terms) for lab in set(old.labels) ^ set(new.labels)}
    for scorer in (old, new):
        watch |= {(lab.language, lab.terms) for lab in scorer.labels if lab.concept in moved}
    return watch


def _found(scorer: TextScorer, stemmed: dict[str, set[str]]) -> Iterator[_Terms]:
    """(language, stems) of the labels of `scorer` the text step finds in a text (its stems
    by language): every stem of the label is in the text."""
    for lang, terms in stemmed.items():
        for term in terms:
            for lab in scorer.by_first.get((lang, term), ()):
                if all(t in terms for t in lab.terms):
                    yield lang, lab.terms


class ChangeScope:
    """Built once per (old, new) pair; `may_change(record, old_themes)` per record."""

    def __init__(self, old: Themer, new: Themer) -> None:
        self.old, self.new = old, new
        old_ids = [r.id for r in old.rules.rules]
        new_ids = [r.id for r in new.rules.rules]
        kept_order = [i for i in old_ids if i in new_ids] == [i for i in new_ids if i in old_ids]
        self.everything = not kept_order
        a, b = old.thesaurus, new.thesaurus
        self.uris = _changed_keys(dict(a.by_uri), dict(b.by_uri))
        self.matches = _changed_keys(dict(a.by_match), dict(b.by_match))
        # The label step's language-keyed index (own and borrowed labels, indexer/thesaurus.py)
        self.language_keys = _changed_keys(dict(a.by_language_key), dict(b.by_language_key))
        self.language_keys |= a.single_word_keys ^ b.single_word_keys
        self.key_languages = tuple(dict.fromkeys((*a.languages, *b.languages)))
        self.outputs = {
            c for c in a.concepts.keys() | b.concepts.keys() if _output(a, c) != _output(b, c)
        }
        before_scorer, after_scorer = old.text_scorer, new.text_scorer
        moved = {
            c
            for c in a.concepts.keys() | b.concepts.keys()
            if before_scorer.branch.get(c) != after_scorer.branch.get(c)
        }
        # Every idf moves with the number of concepts; every decision with the threshold.
        self.any_text_label = (
            len(a.concepts) != len(b.concepts) or before_scorer.threshold != after_scorer.threshold
        )
        # Labels to watch, and the (language, stem) terms whose idf changed: a found label
        # holding one scores differently.
        self.text_watch: set[_Terms] = set()
        self.idf_terms: set[tuple[str, str]] = set()
        if not self.any_text_label:
            self.text_watch = _text_watch(before_scorer, after_scorer, moved)
            self.idf_terms = _changed_keys(before_scorer.idf, after_scorer.idf)
        self._watch_by_first: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        for lang, terms in sorted(self.text_watch):
            self._watch_by_first.setdefault((lang, terms[0]), []).append(terms)
        self.text_languages = before_scorer.languages ^ after_scorer.languages
        before = {r.id: r for r in old.rules.rules}
        after = {r.id: r for r in new.rules.rules}
        changed = {i for i in before.keys() | after.keys() if before.get(i) != after.get(i)}
        changed |= {r.id for r in (*before.values(), *after.values()) if r.concept in self.outputs}
        self.old_rules = [before[i] for i in sorted(changed) if i in before]
        self.new_rules = [after[i] for i in sorted(changed) if i in after]
        logger.info(
            "impact scope: %d URIs, %d match keys, %d label keys, %s, %d concepts, "
            "%d rules changed%s",
            len(self.uris),
            len(self.matches),
            len(self.language_keys),
            "every text with a label"
            if self.any_text_label
            else f"{len(self.text_watch)} text labels, {len(self.idf_terms)} idf terms",
            len(self.outputs),
            len(changed),
            "; every record is matched again" if self.everything else "",
        )

    def may_change(self, record: Record, old_themes: Iterable[Theme]) -> bool:
        """False only when the new version surely gives `record` the same themes."""
        if self.everything:
            return True
        if any(t.id in self.outputs for t in old_themes):
            return True
        uris = [k.uri for k in record.keywords if k.uri]
        uris += [TOPIC_CATEGORY_BASE + code.split("_")[0] for code in record.topic_categories]
        for uri in uris:
            if uri.strip() in self.uris or canonical_uri(uri) in self.matches:
                return True
        if self.language_keys and any(self._keyword_touches(k.label) for k in record.keywords):
            return True
        if self._rule_touches(self.old, self.old_rules, record):
            return True
        if self._rule_touches(self.new, self.new_rules, record):
            return True
        return self._text_touches(record)

    def _keyword_touches(self, label: str) -> bool:
        """Whether the label step may look `label` up (whole, by path segment, or by the
        head of a German or Dutch compound) under a key the change moved."""
        for text in (label, *keyword_segments(label)):
            keys = set(keyword_keys(text, self.key_languages))
            keys |= {
                label_key(head, lang) for head in compound_heads(text) for lang in ("de", "nl")
            }
            if keys & self.language_keys:
                return True
        return False

    def _text_touches(self, record: Record) -> bool:
        """Whether the text step may score the record's title and abstract differently, in
        one of the languages it reads them in (French, English, the record's own)."""
        if not (self.any_text_label or self.text_watch or self.idf_terms or self.text_languages):
            return False
        languages = {"fr", "en"}
        own = record_language(record.language)
        if own:
            if own in self.text_languages:
                return True
            languages.add(own)
        words = [
            w
            for text in (record.title, record.abstract or "")
            for w in tokenise(text)
            if w not in MATCH_STOPWORDS
        ]
        stemmed = {lang: set(stems(words, lang)) for lang in languages}
        found = itertools.chain(
            _found(self.old.text_scorer, stemmed), _found(self.new.text_scorer, stemmed)
        )
        if self.any_text_label:
            return next(found, None) is not None
        if any(
            all(t in present for t in watched)
            for lang, present in stemmed.items()
            for term in present
            for watched in self._watch_by_first.get((lang, term), ())
        ):
            return True
        return any((lang, t) in self.idf_terms for lang, terms in found for t in terms)

    @staticmethod
    def _rule_touches(themer: Themer, rules: list[Rule], record: Record) -> bool:
        for rule in rules:
            kind, value = rule.condition
            if kind == "source":
                hit = record.provenance.source_id == value
            elif kind == "pattern":
                hit = themer.pattern_hits(rule, record)
            else:
                hit = any(
                    r.id == rule.id
                    for k in record.keywords
                    for r, _, _ in themer.keyword_rule_hits(k)
                )
            if hit:
                return True
        return False
