"""GEMET as a voting vocabulary: the GEMET concepts a record names vote for the GEMET themes
they belong to, and a clearly winning theme files the record under the company concept that
*Matches it (thesaurus/themes.ttl: `skos:closeMatch gemet:37` on transport...).

Why: GEMET has ~5,300 concepts (French labels in thesaurus/gemet-concepts.tsv, derived by
scripts/derive_vocabulary_labels.py) against the company's ~70; 'véhicule abandonné',
'piste cyclable' or 'trafic routier' name no company label but all sit in GEMET's transport
theme. One concept alone proves little (most belong to two or more themes), so the themes
are counted over everything the record names, and only a clear winner files anything.

What votes (a `Vote` each, kept as evidence):

- a keyword whose URI is a GEMET concept (any language segment): weight `KEYWORD`;
- a keyword whose label is a GEMET concept's label, in any language GEMET labels are held
  in (French from GEMET, a few dozen Dutch ones: scripts/derive_vocabulary_labels.py),
  compared as Snowball stems in that language (indexer/matching_text.py): weight `KEYWORD`;
  in Dutch and German, a one-word keyword that is no label votes through its compound
  parts as text words do (below: 'GELUIDHINDER' -> 'geluid');
- a GEMET label found in the title (`TITLE`) or the abstract (`ABSTRACT`) as a run of
  consecutive stems, longest label first at each position, in the record's language
  (declared, else guessed from its function words); each concept counts once per field.
  In Dutch and German, a long word with no label of its own is split cheaply: its longest
  tail that is a one-word label (the compound's head: 'gewestwegen' -> 'weg') and its
  longest head that is one ('fietstelposten' -> 'fiets') both vote.

A vote's weight is shared equally among its concept's subject themes. GEMET's cross-cutting
themes (`CROSS_CUTTING`: general, geography, information, research) are no subject: a vote
for 'base de données' or 'modèle' says nothing of what the data is about and is dropped. The
best theme files the record when it reaches `THRESHOLD`, beats the runner-up theme by
`MARGIN`, and some company concept *Matches it (assigning relations only). Themes no company
concept matches ('administration', 'legislation') still count as runners-up: a record
mostly about them is not filed on a stray transport word.

Compiled once per thesaurus (a dict from first stem to labels); `vote` is pure and
thread-safe, like the rest of the matcher.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

from indexer.analysis import normalise, tokenise
from indexer.bounded_memo import BoundedMemo
from indexer.matching_text import (
    MATCH_STOPWORDS,
    content_words,
    guess_language,
    record_language,
    stems,
    text_stems,
)
from indexer.thesaurus import Thesaurus, canonical_uri
from moisson.record import Keyword, Record

__all__ = ["GemetVoter", "ThemeVote", "Vote"]

GEMET_THEME = "http://www.eionet.europa.eu/gemet/theme/"
_CONCEPT_PREFIX = "www.eionet.europa.eu/gemet/concept/"
KEYWORD = 2.0
TITLE = 1.5
ABSTRACT = 1.0
# Calibrated with bench/theme_eval.py on its `calibrate` half (held-out half checked):
# 2.5 lets no lone keyword file a record (the label step does that when it is a label).
THRESHOLD = 2.5
MARGIN = 1.0
# A second (third...) theme is elected with the first when it also reaches THRESHOLD and
# SHARE of the winner's score, and the elected themes beat the best theme left out by
# MARGIN. Above 1, only one theme is ever elected. Calibrated with bench/theme_eval.py
# (--gemet-share 1.01 .. 0.4): the calibrate half scores alike for every share; on the
# held-out half 0.9 themes 2 more records at the same precision and recall, 0.75 and
# below add recall (Data50's buildings) but also noise (GEMET's 'population' by
# 'public', 'formation'). So only near-ties: two subjects scoring alike are both subjects.
SHARE = 0.9
CROSS_CUTTING = frozenset({"15", "16", "20", "30"})  # general, geography, information, research
_LONGEST = 6  # words in the longest label looked for in text
_COMPOUND_LANGUAGES = ("nl", "de")
_PART = 4  # letters, at least, of a compound part


@dataclass(frozen=True)
class Vote:
    """One GEMET concept the record names, where, and with what weight."""

    concept: str  # GEMET concept number
    label: str  # its French label
    field: str  # keyword, title or abstract
    weight: float


@dataclass(frozen=True)
class ThemeVote:
    """The GEMET theme the record's votes elect, and the company concepts matching it."""

    theme: str  # GEMET theme number
    score: float
    runner_up: float
    concepts: tuple[str, ...]
    votes: tuple[Vote, ...]  # the votes for this theme, strongest first

    @property
    def uri(self) -> str:
        return GEMET_THEME + self.theme


def _terms(label: str, language: str) -> tuple[str, ...]:
    words = [w for w in tokenise(label) if w not in MATCH_STOPWORDS]
    return tuple(stems(words, language))


@dataclass
class _Index:
    """The GEMET labels of one language."""

    by_terms: dict[tuple[str, ...], str]  # stems -> concept number
    words: dict[str, str]  # one-word labels, normalised (unstemmed) -> concept number
    exact: dict[str, str]  # labels, normalised (unstemmed) -> concept number
    # first stem -> the lengths of the labels starting so, longest first (from by_terms)
    lengths: dict[str, tuple[int, ...]] = dataclasses.field(default_factory=dict)


class GemetVoter:
    """The GEMET concept index of one thesaurus, built once."""

    def __init__(
        self,
        thesaurus: Thesaurus,
        *,
        threshold: float = THRESHOLD,
        margin: float = MARGIN,
        share: float = SHARE,
    ) -> None:
        self.threshold, self.margin, self.share = threshold, margin, share
        self.themes: dict[str, tuple[str, ...]] = {}
        self.labels: dict[tuple[str, str], str] = {}  # (number, language) -> first label
        self.indexes: dict[str, _Index] = {}
        for number, themes, language, label in thesaurus.gemet_concepts:
            subjects = tuple(t for t in themes if t not in CROSS_CUTTING)
            if not subjects:
                continue
            self.themes[number] = subjects
            self.labels.setdefault((number, language), label)
            if "(" in label:  # 'absorption (exposition)': the qualifier is no text
                continue
            index = self.indexes.setdefault(language, _Index({}, {}, {}))
            terms = _terms(label, language)
            if not terms or len(terms) > _LONGEST:
                continue
            index.by_terms.setdefault(terms, number)
            index.exact.setdefault(normalise(label).strip(), number)
            word = normalise(label).strip()
            if len(terms) == 1 and word.isalpha():
                index.words.setdefault(word, number)
                if language == "nl":  # Snowball Dutch: 'fiets' -> 'fiet' but 'fietsen' -> 'fiets'
                    for plural in stems([word + "en", word + "s"], "nl"):
                        index.by_terms.setdefault((plural,), number)
        for index in self.indexes.values():
            starting: dict[str, set[int]] = {}
            for terms in index.by_terms:
                starting.setdefault(terms[0], set()).add(len(terms))
            index.lengths = {t: tuple(sorted(n, reverse=True)) for t, n in starting.items()}
        # Votes are immutable and their keys bounded by GEMET's concepts: kept without limit.
        self._votes: dict[tuple[str, str, str, float], Vote] = {}
        # (label, uri, language) -> votes: catalogues repeat their keywords.
        self._keyword_cache: BoundedMemo[tuple[str, str | None, str | None], list[Vote]] = (
            BoundedMemo()
        )
        self.concepts: dict[str, tuple[str, ...]] = {}
        for subjects in self.themes.values():
            for theme in subjects:
                if theme not in self.concepts:
                    found = thesaurus.concepts_for_uri(GEMET_THEME + theme)
                    self.concepts[theme] = tuple(dict.fromkeys(c for c, _ in found))

    def __bool__(self) -> bool:
        return bool(self.themes)

    def _vote(self, number: str, language: str, field: str, weight: float) -> Vote:
        key = (number, language, field, weight)
        vote = self._votes.get(key)  # inline, not a BoundedMemo: tens of calls a record
        if vote is None:
            label = self.labels.get((number, language)) or self.labels.get((number, "fr"), number)
            vote = self._votes[key] = Vote(number, label, field, weight)
        return vote

    # -- what the record names ---------------------------------------------------------------

    def _keyword_votes(self, keyword: Keyword, language: str | None) -> list[Vote]:
        return self._keyword_cache.get(
            (keyword.label, keyword.uri, language),
            self._uncached_keyword_votes,
            keyword,
            language,
        )

    def _uncached_keyword_votes(self, keyword: Keyword, language: str | None) -> list[Vote]:
        """A keyword's GEMET concept: by URI; else by its label, stemmed in the record's
        language, or spelled exactly (accents and case aside) in any other: an English
        'land' must not stem into the French 'lande'."""
        if keyword.uri:
            canonical = canonical_uri(keyword.uri)
            concept = canonical.removeprefix(_CONCEPT_PREFIX)
            if canonical.startswith(_CONCEPT_PREFIX) and concept in self.themes:
                return [self._vote(concept, "fr", "keyword", KEYWORD)]
        own = self.indexes.get(language or "")
        found = own.by_terms.get(_terms(keyword.label, language or "")) if own else None
        if found is not None:
            return [self._vote(found, language or "", "keyword", KEYWORD)]
        spelled = normalise(keyword.label).strip()
        for other, index in self.indexes.items():
            found = index.exact.get(spelled)
            if found is not None:
                return [self._vote(found, other, "keyword", KEYWORD)]
        compound = spelled.isalpha() and len(spelled) >= 2 * _PART  # 'GELUIDHINDER'
        if own and language in _COMPOUND_LANGUAGES and compound:
            numbers = dict.fromkeys(self._compound(spelled, language or "", own))
            return [self._vote(n, language or "", "keyword", KEYWORD) for n in numbers]
        return []

    def _compound(self, word: str, language: str, index: _Index) -> list[str]:
        """Concepts of a compound's longest label tail (by stem) and longest label head."""
        found: list[str] = []
        for start in range(_PART, len(word) - _PART + 1):
            tail = stems([word[start:]], language)[0]
            number = index.by_terms.get((tail,))
            if number is not None:
                found.append(number)
                break
        for end in range(len(word) - 1, _PART - 1, -1):
            number = index.words.get(word[:end])
            if number is not None:
                found.append(number)
                break
        return found

    def _text_votes(self, text: str, language: str, field: str, weight: float) -> list[Vote]:
        index = self.indexes.get(language)
        if index is None:
            return []
        terms = text_stems(text, language)
        found: dict[str, None] = {}  # concept numbers, in text order
        lengths, by_terms = index.lengths, index.by_terms
        compounds = language in _COMPOUND_LANGUAGES
        words = content_words(text) if compounds else ()  # unstemmed: compounds only
        end, free = len(terms), 0  # free: the first position no label found covers
        # Label lengths starting at each position, looked up in C; a position with none
        # is skipped without a Python step, unless a compound may hide a label in it.
        starts = list(map(lengths.get, terms))
        positions = range(end) if compounds else itertools.compress(itertools.count(), starts)
        for position in positions:
            if position < free:
                continue
            for length in starts[position] or ():
                if position + length > end:
                    continue
                number = by_terms.get(tuple(terms[position : position + length]))
                if number is not None:
                    found[number] = None
                    free = position + length
                    break
            if free <= position and compounds and len(words[position]) >= 2 * _PART:
                found.update(dict.fromkeys(self._compound(words[position], language, index)))
        return [self._vote(number, language, field, weight) for number in found]

    def votes(self, record: Record, keywords: list[Keyword]) -> list[Vote]:
        """Every GEMET concept the record names (see the module docstring)."""
        language = record_language(record.language) or guess_language(
            f"{record.title} {record.abstract or ''}"
        )
        found = [vote for k in keywords for vote in self._keyword_votes(k, language)]
        if language:
            found += self._text_votes(record.title, language, "title", TITLE)
            found += self._text_votes(record.abstract or "", language, "abstract", ABSTRACT)
        return found

    # -- the election -------------------------------------------------------------------------

    def elect(self, record: Record, keywords: list[Keyword]) -> ThemeVote | None:
        """The GEMET theme the record is most clearly about, when a company concept
        matches it (the first of `elect_all`)."""
        elected = self.elect_all(record, keywords)
        return elected[0] if elected else None

    def elect_all(self, record: Record, keywords: list[Keyword]) -> list[ThemeVote]:
        """The GEMET themes the record is clearly about, best first, each matched by a
        company concept: the leading themes that reach the threshold and `share` of the
        best score, when together they beat the best theme left out by the margin (the
        group shrinks from its weakest member until they do)."""
        if not self.themes:
            return []
        votes = self.votes(record, keywords)
        scores: dict[str, float] = {}
        for vote in votes:
            themes = self.themes[vote.concept]
            share = vote.weight / len(themes)
            for theme in themes:
                scores[theme] = scores.get(theme, 0.0) + share
        if not scores:
            return []
        ranked = sorted(scores.items(), key=lambda item: -item[1])
        top = ranked[0][1]
        size = 0
        while size < len(ranked) and ranked[size][1] >= max(self.threshold, self.share * top):
            size += 1
        if size == 0:  # the first theme is always a candidate; the threshold decides
            size = int(top >= self.threshold)
        while size:
            left_out = ranked[size][1] if size < len(ranked) else 0.0
            if ranked[size - 1][1] - left_out >= self.margin:
                break
            size -= 1
        elected = []
        for theme, score in ranked[:size]:
            if not self.concepts.get(theme):
                continue
            left_out = ranked[size][1] if size < len(ranked) else 0.0
            mine = sorted(
                (v for v in votes if theme in self.themes[v.concept]),
                key=lambda v: -v.weight / len(self.themes[v.concept]),
            )
            elected.append(
                ThemeVote(
                    theme, round(score, 2), round(left_out, 2), self.concepts[theme], tuple(mine)
                )
            )
        return elected
