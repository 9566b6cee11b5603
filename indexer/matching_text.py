"""Language-aware text keys for theme matching (not for search: indexer/analysis.py owns that).

The search index only needs French and English; the theme matcher meets German, Dutch,
Italian, Czech... keywords and vocabulary labels. A label is keyed in its own language only
(`label_key`): its words normalised (indexer/analysis.py `normalise`, so accents and case do
not matter), stopwords of every language dropped when other words remain, then stemmed by
that language's Snowball stemmer (PyStemmer, already a dependency) or left whole when
PyStemmer has no stemmer for it. A keyword's language is rarely known, so it is keyed in
every language a label exists in (`keyword_keys`): a German keyword meets a German label
only when the German stemmer agrees on both ('Gewässernetze' / 'Gewässernetz'), which keeps
an Italian stem of an English word from matching anything by chance.

German and Dutch write compounds as one word ('Grundwasserschutzzone'). `compound_heads`
gives the cheap split: the word's longest tail of at least 4 letters (and more than a third
of the word), which is the compound's head (what it is about); the caller looks the head up
among single-word labels.

`keyword_segments` splits hierarchical keyword paths ('Earth Science > Oceans > Ocean
Temperature', 'Hydrography--Dictionaries', '/Etat du Milieu/Géologie', 'a | b') into
segments, most specific (last) first.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading

import Stemmer

from indexer.analysis import STOPWORDS, chunk_tokens, normalise, tokenise

__all__ = [
    "MATCH_STOPWORDS",
    "compound_heads",
    "content_words",
    "guess_language",
    "keyword_head",
    "keyword_items",
    "keyword_keys",
    "keyword_segments",
    "label_key",
    "record_language",
    "stems",
    "text_stems",
]

# ISO 639-1 (and the 639-2/B codes records use) -> Snowball algorithm name.
_ALGORITHMS = {
    "fr": "french", "en": "english", "de": "german", "nl": "dutch", "it": "italian",
    "es": "spanish", "pt": "portuguese", "da": "danish", "sv": "swedish", "no": "norwegian",
    "fi": "finnish", "hu": "hungarian", "ro": "romanian", "el": "greek", "lt": "lithuanian",
    "ga": "irish",
}  # fmt: skip
RECORD_LANGUAGES = {
    "fre": "fr", "fra": "fr", "eng": "en", "ger": "de", "deu": "de", "dut": "nl", "nld": "nl",
    "ita": "it", "spa": "es", "por": "pt", "cze": "cs", "ces": "cs",
}  # fmt: skip
_GERMAN = "der die das des dem den und oder im in von vom zu zur zum für mit auf aus bei ein eine"
_DUTCH = "de het een van en of in op voor met bij aan door uit te naar"
_ITALIAN = "il lo la i gli le di del della dei delle e o in su per con da dal nel nella un una"
MATCH_STOPWORDS: frozenset[str] = STOPWORDS | frozenset(f"{_GERMAN} {_DUTCH} {_ITALIAN}".split())

_STEMMERS: dict[str, Stemmer.Stemmer] = {}
_LOCK = threading.Lock()  # PyStemmer objects are not thread-safe
_SEPARATORS = re.compile(r"\s*(?:\s>\s|&gt;|\||--|/)\s*")


_STEM_CACHE: dict[str, dict[str, str]] = {}  # language -> word -> stem
_STEM_CACHE_LIMIT = 100_000


def stems(words: list[str], language: str) -> list[str]:
    """Snowball stems of normalised words in `language` (the words unchanged when PyStemmer
    has no stemmer for it). Each distinct word is stemmed once per language (catalogue text
    repeats a small vocabulary); the cache is replaced, never cleared under a reader."""
    algorithm = _ALGORITHMS.get(language)
    if algorithm is None:
        return list(words)
    cache = _STEM_CACHE.get(language)
    if cache is None or len(cache) >= _STEM_CACHE_LIMIT:
        cache = _STEM_CACHE[language] = {}
    missing = [w for w in dict.fromkeys(words) if w not in cache]
    if missing:
        with _LOCK:
            stemmer = _STEMMERS.get(algorithm)
            if stemmer is None:
                stemmer = _STEMMERS[algorithm] = Stemmer.Stemmer(algorithm)
            found: list[str] = stemmer.stemWords(missing)
        cache.update(zip(missing, found, strict=True))
    return [cache[w] for w in words]


# language ('' for none) -> whitespace-free chunk of text -> its content words stemmed in
# that language: a title or abstract costs a str.split() and one dict lookup per chunk.
# Only chunks with no combining mark are kept (analysis.chunk_tokens), so a text whose
# chunks are all found has none. Replaced, never cleared under a reader, like _STEM_CACHE.
_CHUNK_TERMS: dict[str, dict[str, tuple[str, ...]]] = {}


def _text_terms(text: str, language: str) -> tuple[str, ...]:
    """stems(content words of `text`, language), or the content words when `language` is
    ''; the same as stemming `tokenise(text)` less MATCH_STOPWORDS."""
    cache = _CHUNK_TERMS.get(language)
    if cache is None or len(cache) >= _STEM_CACHE_LIMIT:
        cache = _CHUNK_TERMS[language] = {}
    chunks = text.split()
    try:
        return tuple(itertools.chain.from_iterable(map(cache.__getitem__, chunks)))
    except KeyError:
        pass
    for chunk in dict.fromkeys(chunks):
        if chunk in cache:
            continue
        tokens = chunk_tokens(chunk)
        if tokens is None:  # a combining mark: the whole text is normalised at once
            content = [w for w in tokenise(text) if w not in MATCH_STOPWORDS]
            return tuple(stems(content, language) if language else content)
        content = [w for w in tokens if w not in MATCH_STOPWORDS]
        cache[chunk] = tuple(stems(content, language) if language else content)
    return tuple(itertools.chain.from_iterable(cache[chunk] for chunk in chunks))


@functools.lru_cache(maxsize=1024)
def content_words(text: str) -> tuple[str, ...]:
    """Normalised words of a title or abstract, stopwords of every language dropped. Cached
    briefly: the text step and the GEMET votes read the same record's text one after the
    other."""
    return _text_terms(text, "")


@functools.lru_cache(maxsize=1024)
def text_stems(text: str, language: str) -> tuple[str, ...]:
    """`stems(content_words(text), language)`, from one cached lookup per chunk. Cached
    briefly: the text step stems a record's text in French, English and its own language,
    and the GEMET votes in its own language again."""
    if not language:
        return content_words(text)
    return _text_terms(text, language)


def _content(text: str) -> list[str]:
    words = tokenise(text)
    content = [w for w in words if w not in MATCH_STOPWORDS]
    return content or words


@functools.lru_cache(maxsize=65536)
def label_key(text: str, language: str) -> str:
    """'lang:stem stem...' of a label in its own language ('' when it has no word)."""
    words = _content(text)
    if not words:
        return ""
    return f"{language}:{' '.join(stems(words, language))}"


@functools.lru_cache(maxsize=65536)
def keyword_keys(text: str, languages: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of a keyword in each of `languages` (those labels exist in). Cached:
    keywords repeat across records."""
    words = _content(text)
    if not words:
        return ()
    return tuple(dict.fromkeys(f"{lang}:{' '.join(stems(words, lang))}" for lang in languages))


def compound_heads(word: str) -> list[str]:
    """Tails of a long single word, longest first, at least 4 letters and leaving at least
    4: the candidate heads of a German or Dutch compound. A tail must also be more than a
    third of the word: a short tail of a long word is more often the end of a longer head
    that is no label than the head itself ('Glastuinbouw', greenhouse horticulture, is no
    'bouw', construction; 'Oberflächenwasser' still ends in 'Wasser')."""
    norm = normalise(word).strip()
    if " " in norm or len(norm) < 9 or not norm.isalpha():
        return []
    return [norm[i:] for i in range(4, len(norm) - 3) if 3 * (len(norm) - i) > len(norm)]


def keyword_segments(label: str) -> list[str]:
    """Segments of a keyword path, most specific first; [] when the label is no path."""
    parts = [p.strip() for p in _SEPARATORS.split(label) if p and p.strip()]
    if len(parts) < 2 or label.strip().startswith("http"):
        return []
    return list(reversed(parts))


_LIST_SEPARATORS = re.compile(r"\s*[,;]\s*|\s+(?:and|et|und|en|e|y)\s+", re.IGNORECASE)


def keyword_items(label: str) -> list[str]:
    """Items of a keyword that lists subjects ('Meteorology, weather and radiation
    conditions', 'Culture, Société'), in order; [] when the label is no list. Paths are
    keyword_segments' business."""
    if keyword_segments(label):
        return []
    items = [p.strip() for p in _LIST_SEPARATORS.split(label) if p and p.strip()]
    return items if len(items) >= 2 else []


# Function words, frequent and proper to one language each (normalised, no accents), for
# guessing the language of a record that does not declare one.
_FUNCTION_TEXT = {
    "fr": "le la les des du et est une dans pour sur par au aux ce cette qui",
    "en": "the of and is are for with this that from by which",
    "nl": "het een van voor met op door bij zijn wordt naar uit",
    "de": "der die das und ist mit fur von den dem des auf eine im",
    "it": "il della delle dei di e per con una nel sono",
    "es": "el los las del y para con una por que",
}
_FUNCTION_WORDS = {lang: frozenset(words.split()) for lang, words in _FUNCTION_TEXT.items()}


def guess_language(text: str) -> str | None:
    """Two-letter language whose function words the text uses most (at least twice, and
    more than any other language), or None. Cheap: for records that declare no language."""
    words = tokenise(text)
    counts = {lang: sum(w in vocab for w in words) for lang, vocab in _FUNCTION_WORDS.items()}
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    (best, hits), (_, second) = ranked[0], ranked[1]
    return best if hits >= 2 and hits > second else None


_HEAD_LAST = frozenset({"en", "de", "nl"})
# Coordinations, and the prepositions that put an English or Dutch head first.
_COORDINATORS = "et ou and or und oder en of e y o van von"
_COORDINATED = frozenset(_COORDINATORS.split())
_HEAD_FIRST = frozenset({"fr", "es", "it", "pt"})


def keyword_head(label: str, language: str | None) -> str | None:
    """The head word of a two- or three-word keyword in `language` (two-letter code): the
    last content word in English, German and Dutch, the first in French, Spanish, Italian
    and Portuguese; None for other languages, single words, longer keywords, paths, lists
    and coordinations ('Culture, Société, Service', 'Nature et environnement')."""
    words = list(content_words(label))
    if not 2 <= len(words) <= 3 or keyword_segments(label) or any(c in label for c in ",&:;"):
        return None
    if _COORDINATED.intersection(tokenise(label)):
        return None  # 'Nature et environnement', 'quality of water': no single head
    if language in _HEAD_LAST:
        return words[-1]
    if language in _HEAD_FIRST:
        return words[0]
    return None


def record_language(code: str | None) -> str | None:
    """Two-letter language of a record's ISO 639-2 code, when known."""
    if not code:
        return None
    code = code.strip().lower()
    return RECORD_LANGUAGES.get(code) or (code if len(code) == 2 else None)
