"""Search as every output protocol runs it: thesaurus expansion, the backend, theme labels.

The JSON API (search_api/search.py, GET /api/themes), the CLI (`moisson search`) and the
protocol adapters (CSW, OGC API - Records, the GeoNetwork facade) parse their requests into
a neutral `Query` (moisson/query.py) and hand it to one `SearchService`, so a record is found,
filtered and labelled the same way whatever the client:

- `expand`: concept labels (pref, alt or hidden, any language) found in a plain `q` become
  `ThemeExpansion`s, so 'zones humides' also finds records filed under 'wetlands' whatever
  language they are described in (longest label first, non-overlapping). The backends apply
  them as a rewrite of q's tree (indexer/query_text.expanded). Advanced queries and
  protocol-built text trees are not expanded: their author chose the words.
- the backend's `search`, which filters by the caller's roles and collapses duplicates;
- `identified`: a plain `q` that looks like one code (no space, a digit or one of '-_.:/')
  is first looked up as a record id, original id, resource identifier or DOI; the records
  that hold it are the results, so `EPTB-VIL-ZH-2022` finds its record first (its words
  alone would also match records that merely mention 'vil' or '2022').
- `forgive`: when a plain `q` finds fewer than `FEW_HITS` records, its misspelt words are
  corrected against the index vocabulary (indexer/fuzzy.py, the same for both backends);
  with no exact hit the corrected query's hits are shown (`Results.corrected`), else the
  exact hits stay and the correction is only offered (`Results.suggestion`) when it finds
  more. A query with FEW_HITS hits or more never changes.
- the search log (indexer/search_log.py), when the runtime gives one: every search run
  here is counted without personal data, except those a caller marks `logged=False`
  (searches a page derives by itself, such as a record page's similar records).
- `localise`: theme labels of hits and of the `theme` facet in the requested language
  (`Query.lang`, two- or three-letter code), else the first of the configured languages.

Only the themer's thesaurus is read (labels), which admin rule edits never change, so a
service may outlive a rules reload.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from indexer.backends.base import SearchBackend
from indexer.backends.documents import dois
from indexer.fuzzy import Vocabulary
from indexer.search_log import SearchLog
from indexer.themes import Themer
from indexer.thesaurus import label_keys
from moisson.query import And, FieldFilter, Node, Or, Query, ThemeExpansion
from moisson.record import Results

__all__ = ["SearchService", "Searched", "language", "localise"]

FEW_HITS = 3  # below this many hits a plain query is checked for typos
_SCAN_PAGE = 100  # records per page when reading the vocabulary through the backend
# Records up to which the vocabulary is read inside the request that needs it (~5 s at most
# here); above, it is read in the background.
SYNC_VOCABULARY = 5_000

logger = logging.getLogger(__name__)
_CODE_MARKS = frozenset("-_.:/")
_MAX_PHRASE = 6  # longest label, in words, looked for in a query
_THREE_LETTER = {"fre": "fr", "fra": "fr", "eng": "en", "ger": "de", "deu": "de", "ita": "it"}


def language(lang: str | None, languages: Sequence[str]) -> str:
    """The label language for a request: `lang` (ISO 639-1 or -2) else the default."""
    if lang:
        return _THREE_LETTER.get(lang, lang)
    return languages[0]


def localise(results: Results, themer: Themer, lang: str, languages: Sequence[str]) -> Results:
    """Theme labels of hits and `theme` facet buckets in `lang`, else in the first of
    `languages` that has one (in place; returned)."""
    fallback = [lang, *languages]
    for hit in results.hits:
        themes = []
        for theme in hit.themes:
            labels = theme.get("labels")
            labels = labels if isinstance(labels, dict) else {}
            label = next((labels[x] for x in fallback if labels.get(x)), theme.get("id"))
            themes.append({"id": theme.get("id"), "uri": theme.get("uri"), "label": label})
        hit.themes = themes
    for bucket in results.facets.get("theme", []):
        concept = themer.thesaurus.concepts.get(bucket.value)
        if concept is not None:
            bucket.label = concept.pref(lang, fallback)
    return results


@dataclass(frozen=True)
class Searched:
    """What a search ran (the query with its expansions, for echoing) and what it found."""

    query: Query
    results: Results


class SearchService:
    """Expansion, backend search and localisation in one call (see the module docstring).
    Built once beside the backend; holds no per-request state, safe across threads."""

    def __init__(
        self,
        backend: SearchBackend,
        themer: Themer,
        languages: Sequence[str],
        log: SearchLog | None = None,
    ) -> None:
        if not languages:
            raise ValueError("SearchService needs at least one label language")
        self.backend = backend
        self.log = log  # counts every search run here, without personal data
        self.themer = themer
        self.languages = list(languages)
        self._vocabulary: tuple[int, Vocabulary] | None = None
        self._reading = False  # a background read of the vocabulary is under way
        self._lock = threading.Lock()

    def _texts(self) -> Iterator[str]:
        """Title and abstract of every record (all roles, every copy), page by page."""
        start = 0
        while True:
            page = self.backend.search(
                Query(start=start, size=_SCAN_PAGE, roles=None, collapse=False, facets=[])
            )
            for hit in page.hits:
                yield f"{hit.title} {hit.abstract or ''}"
            start += len(page.hits)
            if not page.hits or start >= page.total:
                return

    def vocabulary(self) -> Vocabulary | None:
        """The index vocabulary, read again whenever the record count changes. A small index
        is read at once; a larger one is read in a background thread (a 100k-record read
        takes a minute or more: no request waits for it), and meanwhile the last vocabulary
        read answers, or none (no correction) before the first read ends."""
        count = self.backend.count()
        with self._lock:
            current = self._vocabulary
            if current is not None and current[0] == count:
                return current[1]
            if count <= SYNC_VOCABULARY:
                self._vocabulary = (count, Vocabulary.of_texts(self._texts()))
                return self._vocabulary[1]
            if not self._reading:
                self._reading = True
                threading.Thread(
                    target=self._read_vocabulary,
                    args=(count,),
                    daemon=True,
                    name="moisson-vocabulary",
                ).start()
            return None if current is None else current[1]

    def _read_vocabulary(self, count: int) -> None:
        try:
            found = Vocabulary.of_texts(self._texts())
            with self._lock:
                self._vocabulary = (count, found)
        except Exception:  # a failed read only leaves typos uncorrected; it is logged
            logger.exception("reading the index vocabulary for typo correction failed")
        finally:
            with self._lock:
                self._reading = False

    def identified(self, query: Query) -> Searched | None:
        """The records holding `query.q` as an identifier (see the module docstring), with
        every other condition of `query` kept; None when q is no code or nothing holds it."""
        code = query.q.strip()
        if (
            query.advanced
            or query.text is not None
            or len(code) < 3
            or any(c.isspace() for c in code)
            or not any(c.isdigit() or c in _CODE_MARKS for c in code)
        ):
            return None
        held: list[Node] = [
            FieldFilter(field=field, values=(code,))
            for field in ("id", "original_id", "identifier")
        ]
        held += [FieldFilter(field="doi", values=tuple(dois([code])))] if dois([code]) else []
        where: Node = Or(children=tuple(held))
        if query.where is not None:
            where = And(children=(query.where, where))
        lookup = query.model_copy(update={"q": "", "expansions": [], "where": where})
        results = self.backend.search(lookup)
        if results.total == 0:
            return None
        return Searched(query.model_copy(update={"expansions": []}), results)

    def forgive(self, query: Query, results: Results) -> tuple[Query, Results]:
        """The typo fallback (see the module docstring): the query and results to show."""
        if (
            results.total >= FEW_HITS
            or query.advanced
            or query.text is not None
            or not query.q.strip()
        ):
            return query, results
        vocabulary = self.vocabulary()
        suggestion = vocabulary.correct(query.q) if vocabulary is not None else None
        if suggestion is None:
            return query, results
        fixed = self.expand(query.model_copy(update={"q": suggestion, "expansions": []}))
        found = self.backend.search(fixed)
        if found.total <= results.total:
            return query, results
        if results.total == 0:
            found.suggestion, found.corrected = suggestion, True
            return fixed, found
        results.suggestion = suggestion
        return query, results

    def expand(self, query: Query) -> Query:
        """`query` with a ThemeExpansion per concept label found in its words (plain `q`
        only; a query that already carries expansions is left as it is)."""
        if query.advanced or query.text is not None or query.expansions or not query.q.strip():
            return query
        words = query.q.split()
        expansions: list[ThemeExpansion] = []
        start = 0
        by_label = self.themer.thesaurus.by_label
        while start < len(words):
            for length in range(min(_MAX_PHRASE, len(words) - start), 0, -1):
                phrase = " ".join(words[start : start + length])
                concepts = sorted(
                    {entry[0] for key in label_keys(phrase) for entry in by_label.get(key, [])}
                )
                if concepts:
                    expansions.append(ThemeExpansion(phrase=phrase, concepts=concepts))
                    start += length
                    break
            else:
                start += 1
        return query.model_copy(update={"expansions": expansions}) if expansions else query

    def language(self, lang: str | None) -> str:
        """The label language for `lang` (see `language`)."""
        return language(lang, self.languages)

    def run(self, query: Query, *, logged: bool = True) -> Searched:
        """Expand, search, localise; with the query actually run. Counted in the search
        log (if any) as the caller asked it, with the hits shown, unless `logged` is false:
        searches a page derives by itself (similar records, counts) are nobody's search."""
        searched = self._run(query)
        if logged and self.log is not None:
            self.log.record(query, searched.results.total)
        return searched

    def _run(self, query: Query) -> Searched:
        found = self.identified(query)
        if found is not None:
            localise(found.results, self.themer, self.language(query.lang), self.languages)
            return found
        query = self.expand(query)
        results = self.backend.search(query)
        query, results = self.forgive(query, results)
        localise(results, self.themer, self.language(query.lang), self.languages)
        return Searched(query, results)

    def search(self, query: Query, *, logged: bool = True) -> Results:
        """The results of `run`, for callers that do not echo the query."""
        return self.run(query, logged=logged).results

    def suggest(self, prefix: str, size: int = 10, roles: Sequence[str] | None = ()) -> list[str]:
        """Completions of `prefix` among what a caller with `roles` may see (the backend's
        `suggest`: keywords most used first, then titles)."""
        return self.backend.suggest(prefix, size, roles)
