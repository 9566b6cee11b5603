"""Text analysis: what a title, keyword or abstract becomes in the index, and a query too.

Catalogue text here is mostly French with English mixed in (titles like 'Wetlands of the
Camargue', keywords from GEMET), and users type without accents. So both sides go through
the same three steps, which makes matching a function of the words, not of the spelling:

1. `normalise`: NFKD, strip diacritics, expand ligatures, casefold ('Forêts' -> 'forets').
2. `tokenise`: unicode letter/digit runs ('Loire-Bretagne 2018' -> loire, bretagne, 2018).
3. stem each token with the Snowball French stemmer and the English one (PyStemmer, C).

Stemming runs on the unaccented token on purpose: the French stemmer gives 'rivi' for
'rivières' but 'rivier' for 'rivieres', so stemming before stripping accents would make an
unaccented query miss. Index side, a field becomes its French stems in word order followed by
the English stems that differ (`analyse`), so exact phrases still match on the French
sequence while 'wetlands' and 'zones' also find 'wetland' and 'zone'. Query side, each user
term becomes the alternatives (French stem OR English stem) (`query_terms`).

Stopwords are dropped at query time only, and only when the query has other terms, so that
'occupation du sol' does not need 'du' but a search for 'the' alone still runs. The index
keeps every word (phrases and exact titles need them).

Not prefix-expanded: 'sol' must not find 'solaire'; completion is what `suggest` is for, and
the OpenSearch backend's match queries behave the same way.

The text leaves of the neutral query (moisson/query.py: Term, Phrase, Prefix, Near) carry
text as given; `analyse_leaf` turns one into `LeafTerms`, the stems each backend compiler
builds its own syntax from, so both backends match a leaf on the same index terms.
"""

from __future__ import annotations

import functools
import html
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import Stemmer

from moisson.errors import BadQuery
from moisson.query import TEXT_FIELDS, Near, Prefix, TextLeaf

__all__ = [
    "STOPWORDS",
    "LeafTerms",
    "Term",
    "analyse",
    "analyse_leaf",
    "chunk_tokens",
    "highlight",
    "normalise",
    "paired_stems",
    "query_terms",
    "stem_pairs",
    "tokenise",
]


# Built once: a Stemmer is costly to build and keeps a cache of stems it has seen. PyStemmer
# objects must not be used by two threads at once, and search runs in Flask's threads.
_FRENCH = Stemmer.Stemmer("french")
_ENGLISH = Stemmer.Stemmer("english")
_STEM_LOCK = threading.Lock()

_WORD = re.compile(r"[^\W_]+")
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
# NFKD does not decompose these; users type the expanded form.
_LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "đ": "d", "ł": "l", "Ł": "L"}
)

# Normalised forms (no accents). French elisions appear as single letters once "l'eau" and
# "d'eau" are tokenised.
_FRENCH_STOPWORDS = (
    "le la les l un une des du de d et ou au aux en a dans par pour sur sous avec sans qu que"
    " qui se sa son ses leur leurs ce cette ces est sont"
)
_ENGLISH_STOPWORDS = "the a an of and or in on at to for by with from as is are this that its into"
STOPWORDS: frozenset[str] = frozenset(f"{_FRENCH_STOPWORDS} {_ENGLISH_STOPWORDS}".split())


# The same pairs for str.replace: str.translate with a dict table looks every character of a
# non-ASCII text up in Python (~70 us for an 80-word French abstract); a ligature absent
# from the text costs one C substring search. Replacing in turn equals translating at once:
# no replacement holds a ligature.
_LIGATURE_PAIRS = tuple((chr(code), expanded) for code, expanded in _LIGATURES.items())


def normalise(text: str) -> str:
    """Accent- and case-insensitive form: 'Forêts ŒUVRE' -> 'forets oeuvre'."""
    if text.isascii():  # nothing to expand, decompose or strip
        return text.casefold()
    for ligature, expanded in _LIGATURE_PAIRS:
        if ligature in text:
            text = text.replace(ligature, expanded)
    decomposed = unicodedata.normalize("NFKD", text)
    return _MARKS.sub("", decomposed).casefold()


def tokenise(text: str) -> list[str]:
    """Normalised word tokens: runs of unicode letters and digits ('_' and '-' split)."""
    return [word for word, _, _ in _analysed_words(text)]


# Catalogue text reuses a small vocabulary (Zipf), so each distinct spelling is normalised and
# stemmed once: a dict lookup per word instead of NFKD + two stemmers made indexing ~2x
# faster. Bounded by clearing, which costs one re-warm; plain dict ops are thread-safe.
_WORD_CACHE: dict[str, tuple[tuple[str, str, str], ...]] = {}
_WORD_CACHE_LIMIT = 200_000


def _analysed_word(word: str) -> tuple[tuple[str, str, str], ...]:
    """(normalised, French stem, English stem) for each token `word` normalises into
    (usually one; 'œuvre²' gives two)."""
    found = _WORD_CACHE.get(word)
    if found is None:
        tokens = _WORD.findall(normalise(word))
        french, english = stem_pairs(tokens)
        found = tuple(zip(tokens, french, english, strict=True))
        if len(_WORD_CACHE) >= _WORD_CACHE_LIMIT:
            _WORD_CACHE.clear()
        _WORD_CACHE[word] = found
    return found


def _analysed_words(text: str) -> list[tuple[str, str, str]]:
    # Split first, normalise each word after. Decomposed accents (a letter then a combining
    # mark) would split words, so such text is normalised whole before splitting.
    if _MARKS.search(text):
        text = normalise(text)
    return [triple for word in _WORD.findall(text) for triple in _analysed_word(word)]


def chunk_tokens(chunk: str) -> list[str] | None:
    """`tokenise` of one whitespace-free piece of a text, or None when it holds a combining
    mark (such a text is normalised whole before splitting, so its words depend on the
    whole text). For a text with no mark, `tokenise(text)` is the concatenation of
    `chunk_tokens` over `text.split()` (whitespace is never part of a word), which lets
    callers cache per chunk (indexer/matching_text.py)."""
    if _MARKS.search(chunk):
        return None
    return [token for word in _WORD.findall(chunk) for token, _, _ in _analysed_word(word)]


def stem_pairs(tokens: Sequence[str]) -> tuple[list[str], list[str]]:
    """(French stems, English stems) of normalised tokens, in order."""
    with _STEM_LOCK:
        return _FRENCH.stemWords(tokens), _ENGLISH.stemWords(tokens)


def analyse(text: str | None) -> tuple[str, int]:
    """Index-time form of one field, and its length in words (for length normalisation).

    French stems in word order, then the English stems that differ from the French one: the
    French sequence keeps phrase positions intact, the tail adds the English variants.
    """
    if not text:
        return "", 0
    triples = _analysed_words(text)
    french = [fr for _, fr, _ in triples]
    extra = [en for _, fr, en in triples if en != fr]
    return " ".join(french + extra), len(triples)


# raw word -> its paired_stems form; bounded like _WORD_CACHE.
_PAIRED_CACHE: dict[str, str] = {}


def paired_stems(text: str) -> str:
    """Index-time form of one field for an engine that puts two terms at one position
    (OpenSearch: indexer/backends/opensearch_bulk.py): per word its French stem, or
    'french|english' when the English stem differs, separated by spaces. The same stems as
    `analyse` and `query_terms`, one cached lookup per word."""
    if _MARKS.search(text):
        text = normalise(text)
    words = _WORD.findall(text)
    try:
        return " ".join([_PAIRED_CACHE[word] for word in words])  # the usual case
    except KeyError:
        pass
    for word in words:
        if word not in _PAIRED_CACHE:
            if len(_PAIRED_CACHE) >= _WORD_CACHE_LIMIT:
                _PAIRED_CACHE.clear()
            _PAIRED_CACHE[word] = " ".join(
                fr if fr == en else f"{fr}|{en}" for _, fr, en in _analysed_word(word)
            )
    return " ".join([_PAIRED_CACHE.get(word) or paired_stems(word) for word in words])


@dataclass(frozen=True)
class Term:
    """One query word and the index terms that stand for it."""

    word: str  # normalised
    french: str
    english: str

    @property
    def alternatives(self) -> tuple[str, ...]:
        return (self.french,) if self.english == self.french else (self.french, self.english)


def query_terms(text: str) -> list[Term]:
    """The user's words as index terms, stopwords dropped unless nothing else is left.

    Duplicates are removed (keeping order) so 'eau eau' costs and scores like 'eau'.
    """
    tokens = tokenise(text)
    content = [t for t in tokens if t not in STOPWORDS]
    tokens = list(dict.fromkeys(content or tokens))
    french, english = stem_pairs(tokens)
    return [Term(w, fr, en) for w, fr, en in zip(tokens, french, english, strict=True)]


def highlight(
    text: str, stems: Iterable[str], prefixes: Iterable[str] = (), width: int = 200
) -> str:
    """HTML snippet of `text`: the words whose stems are in `stems` (or that start with one of
    `prefixes`) wrapped in <mark>, everything else escaped, cut to about `width` characters
    around the first match (the start of the text when nothing matches).

    Works on the original words so users see their text, not stems (FTS5's snippet() would
    show the analysed form stored in the index). Runs for each hit of a page, so it stops at
    the end of the window and stems each distinct word once (`_word_stems` cache).
    """
    wanted = set(stems)
    starts = tuple(prefixes)
    text = unicodedata.normalize("NFC", text)
    marked: list[tuple[int, int]] = []
    begin, end = 0, -1
    for found in _WORD.finditer(text):
        a, b = found.span()
        if end >= 0 and b > end:
            break
        french, english = _word_stems(found.group())
        if french in wanted or english in wanted or (starts and french.startswith(starts)):
            if end < 0:
                begin, end = _window(text, a, width)
            marked.append((a, b))
    if end < 0:
        begin, end = _window(text, 0, width)
    pieces = ["…"] if begin > 0 else []
    position = begin
    for a, b in marked:
        pieces += [html.escape(text[position:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
        position = b
    pieces.append(html.escape(text[position:end]))
    if end < len(text):
        pieces.append("…")
    return "".join(pieces).strip()


@functools.lru_cache(maxsize=65536)
def _word_stems(word: str) -> tuple[str, str]:
    """(French, English) stem of one original word; cached, as words repeat across hits."""
    french, english = stem_pairs([normalise(word)])
    return french[0], english[0]


def _window(text: str, first: int, width: int) -> tuple[int, int]:
    """[begin, end) of a snippet showing `first` a quarter in, cut at word boundaries."""
    begin = _word_start(text, first - width // 4) if first > width // 4 else 0
    end = min(len(text), begin + width)
    if end < len(text):
        cut = text.rfind(" ", begin, end)
        end = cut if cut > first else end
    return begin, end


def _word_start(text: str, index: int) -> int:
    """Move `index` back to the start of its word so a snippet never starts mid-word."""
    return text.rfind(" ", 0, index) + 1


@dataclass(frozen=True)
class LeafTerms:
    """A text leaf of the neutral query as index terms, in one of four shapes:

    - `word`: one word, `groups` = ((french, english?),): either stem matches;
    - `phrase`: `groups` = (french stems in order,): adjacent, in order (the index holds
      French stems in word order, so phrases match exactly);
    - `prefix`: like phrase, the last stem a prefix of an indexed term;
    - `near`: `groups` = one French-stem phrase each, within `distance` words, any order.

    `fields` are the text fields to search (never empty); `stems` and `prefixes` what a
    snippet highlights.
    """

    shape: Literal["word", "phrase", "prefix", "near"]
    groups: tuple[tuple[str, ...], ...]
    fields: tuple[str, ...]
    distance: int = 0
    stems: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()


def _leaf_stems(text: str) -> tuple[list[str], list[str]]:
    words = tokenise(text)
    if not words:
        raise BadQuery(f"nothing to search for in {text!r}")
    return stem_pairs(words)


@functools.lru_cache(maxsize=4096)
def analyse_leaf(leaf: TextLeaf) -> LeafTerms:
    """The index terms of a text leaf (see LeafTerms). Raises BadQuery for a leaf with no
    word in it. A Term or Phrase of one word is a `word` (French or English stem), of
    several a `phrase`; a Prefix stems its words too, so 'forêts*' and 'foret*' agree."""
    fields = leaf.fields or TEXT_FIELDS
    if isinstance(leaf, Near):
        groups = tuple(tuple(_leaf_stems(text)[0]) for text in leaf.phrases)
        stems = tuple(stem for group in groups for stem in group)
        return LeafTerms("near", groups, fields, leaf.distance, stems)
    french, english = _leaf_stems(leaf.text)
    if isinstance(leaf, Prefix):
        return LeafTerms("prefix", (tuple(french),), fields, 0, tuple(french[:-1]), (french[-1],))
    if len(french) == 1:
        alternatives = tuple(dict.fromkeys((french[0], english[0])))
        return LeafTerms("word", (alternatives,), fields, 0, alternatives)
    return LeafTerms("phrase", (tuple(french),), fields, 0, tuple(french))
