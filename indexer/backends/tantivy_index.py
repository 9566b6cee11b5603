"""The tantivy search backend (`tantivy:///path/to/dir`): the SearchBackend contract on a
tantivy index through its Python binding (PyPI `tantivy`), the alternative to the embedded
SQLite index for a million records (issue 19; figures in bench/README.md).

What runs where:

- Analysis stays in Python (indexer/analysis.py, the same French/English stems as the other
  backends); tantivy holds the analysed text and splits it on whitespace
  (indexer/backends/tantivy_schema.py).
- Text, filters, access and collapse are one tantivy boolean query
  (indexer/backends/tantivy_query.py); ranking is tantivy's BM25 with the field weights.
- Facets are tantivy `terms` aggregations over that same query, counted in Rust
  (indexer/backends/tantivy_facets.py, exact).
- Hits: stored payloads of the page only; snippets built in Python from the abstract, as on
  the SQLite backend.

Layout: DIR/CURRENT names the live index directory (DIR/<generation>/). `reindex` builds a
new generation beside it and replaces CURRENT atomically (os.replace) at the end; on failure
the new directory is removed and the old one keeps serving. Every search checks CURRENT
(one stat) and reloads the reader, so another instance or process sees what was written.

Writes: tantivy allows one writer per index at a time; `index` and `delete` open a writer,
commit and release it, behind a lock in this process (and waiting for another process's
writer for up to WRITER_WAIT seconds).

Measured (bench/README.md, same 100k records, load 16-19): index 134 MiB (SQLite 544),
open() 0.02 s (SQLite 31 s), RSS 150-215 MiB (SQLite 1 GiB); a first-seen text + 8 facets
+ 20 hits search 23 ms CPU p50 (SQLite 12.7 ms; 3.5 ms with its match cache): tantivy's
terms aggregations take ~10 ms of it, more than SQLite's numpy counts.

Sorting: relevance (BM25) and a single date or title key run inside tantivy (fast fields;
records missing the date come after the others by a second query); any other ordering
(keyword fields, several keys) sorts every matching record's stored sort keys in Python, so
it is correct but costs in proportion to the hits.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import tantivy

from indexer.analysis import analyse_leaf, tokenise
from indexer.backends.documents import (
    ACCESS,
    check_filters,
    merged_suggestions,
    page_hit,
    suggest_key,
)
from indexer.backends.tantivy_facets import count_facets
from indexer.backends.tantivy_query import compile_node, visibility
from indexer.backends.tantivy_schema import build_schema, document, keyword_field, stored
from indexer.backends.tantivy_sort import sorted_page
from indexer.query_text import positive_leaves, text_tree
from moisson.errors import BackendError, ConfigError
from moisson.query import PUBLIC
from moisson.record import Query, Record, Results

__all__ = ["TantivyBackend"]

logger = logging.getLogger(__name__)

WRITER_HEAP = 256 * 2**20  # bytes of indexing buffer per writer
WRITER_WAIT = 30.0  # seconds to wait for another process's writer
_BATCH = 10_000  # records between commits in reindex
_MUST = tantivy.Occur.Must


class TantivyBackend:
    """SearchBackend on a tantivy index directory (see the module docstring)."""

    capabilities: frozenset[str] = frozenset(
        {"fulltext", "bbox", "daterange", "facets", "highlight", "suggest", "advanced"}
    )

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._schema = build_schema()
        self._index: tantivy.Index | None = None
        self._generation = ""
        self._lock = threading.Lock()  # writers of this process, and generation changes

    @classmethod
    def from_url(cls, url: str) -> TantivyBackend:
        """`tantivy:///relative/dir` or `tantivy:////absolute/dir` (as sqlite: URLs)."""
        prefix = "tantivy:///"
        if not url.startswith(prefix) or len(url) == len(prefix) or "?" in url:
            raise ConfigError(f"index URL {url!r} must look like tantivy:///path/to/index-dir")
        return cls(url[len(prefix) :])

    def __repr__(self) -> str:
        return f"TantivyBackend({str(self.path)!r})"

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def _pointer(self) -> Path:
        return self.path / "CURRENT"

    def _read_pointer(self) -> str:
        try:
            return self._pointer.read_text().strip()
        except FileNotFoundError:
            return ""

    def _open_generation(self, generation: str) -> tantivy.Index:
        try:
            return tantivy.Index(self._schema, path=str(self.path / generation), reuse=True)
        except ValueError as exc:
            raise BackendError(f"cannot open the tantivy index {self.path}: {exc}") from exc

    def _create_generation(self) -> str:
        generation = uuid.uuid4().hex[:12]
        (self.path / generation).mkdir(parents=True)
        return generation

    def open(self) -> None:
        if self._index is not None:
            return
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the index directory {self.path}: {exc}") from exc
        with self._lock:
            generation = self._read_pointer()
            if not generation:
                generation = self._create_generation()
                self._open_generation(generation)
                self._swap_pointer(generation)
            self._index = self._open_generation(generation)
            self._generation = generation
        logger.info("opened %s (generation %s)", self.path, generation)

    def close(self) -> None:
        with self._lock:
            self._index = None
            self._generation = ""

    def _swap_pointer(self, generation: str) -> None:
        staging = self.path / f"CURRENT.{uuid.uuid4().hex[:8]}"
        staging.write_text(generation)
        os.replace(staging, self._pointer)

    def _current(self) -> tantivy.Index:
        """The live index, reopened when another instance swapped in a new generation."""
        if self._index is None:
            raise BackendError(f"the search index {self.path} is not open; call open() first")
        generation = self._read_pointer()
        if generation and generation != self._generation:
            with self._lock:
                if generation != self._generation:
                    self._index = self._open_generation(generation)
                    self._generation = generation
        return self._index

    def _searcher(self) -> tantivy.Searcher:
        index = self._current()
        index.reload()
        return index.searcher()

    # -- writing -----------------------------------------------------------------------------

    def _writer(self, index: tantivy.Index) -> tantivy.IndexWriter:
        deadline = time.monotonic() + WRITER_WAIT
        while True:
            try:
                return index.writer(WRITER_HEAP, 1)
            except ValueError as exc:  # another process holds the writer lock
                if time.monotonic() >= deadline:
                    raise BackendError(f"the tantivy index {self.path} is locked: {exc}") from exc
                time.sleep(0.05)

    def index(self, records: Sequence[Record]) -> int:
        latest = {record.id: record for record in records}
        if not latest:
            return 0
        documents = [document(record) for record in latest.values()]
        with self._lock:
            index = self._current()
            writer = self._writer(index)
            try:
                for record_id, doc in zip(latest, documents, strict=True):
                    writer.delete_documents_by_term("id", record_id)
                    writer.add_document(doc)
                writer.commit()
            except ValueError as exc:
                writer.rollback()
                raise BackendError(f"writing to the tantivy index failed: {exc}") from exc
            finally:
                writer.wait_merging_threads()
        return len(documents)

    def delete(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._lock:
            index = self._current()
            writer = self._writer(index)
            try:
                for record_id in ids:
                    writer.delete_documents_by_term("id", record_id)
                writer.commit()
            finally:
                writer.wait_merging_threads()

    def deferred_refresh(self) -> AbstractContextManager[None]:
        """Nothing to defer: a write is visible to every reader once committed."""
        return nullcontext()

    def reindex(self, records: Iterable[Record]) -> int:
        """Build a new generation from `records`, then point CURRENT at it. On any failure
        the new directory is removed and the current index keeps serving."""
        self._current()
        with self._lock:
            generation = self._create_generation()
            try:
                fresh = self._open_generation(generation)
                writer = self._writer(fresh)
                try:
                    for written, record in enumerate(records, 1):
                        writer.add_document(document(record))
                        if written % _BATCH == 0:
                            logger.info("reindex %s: %d records", self.path, written)
                    writer.commit()
                except BaseException:
                    writer.rollback()
                    raise
                finally:
                    writer.wait_merging_threads()
                self._swap_pointer(generation)
            except BaseException:
                shutil.rmtree(self.path / generation, ignore_errors=True)
                raise
            previous, self._index, self._generation = self._generation, fresh, generation
        if previous:  # other processes may still read it: Linux keeps open files alive
            shutil.rmtree(self.path / previous, ignore_errors=True)
        return self.count()

    # -- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        return int(self._searcher().num_docs)

    def search(self, query: Query) -> Results:
        check_filters(query)
        tree = text_tree(query)
        nodes = [node for node in [tree, *query.conditions()] if node is not None]
        clauses = [(_MUST, compile_node(self._schema, node, query.collapse)) for node in nodes]
        clauses += visibility(self._schema, query)
        if not any(occur == _MUST for occur, _ in clauses):
            clauses.append((_MUST, tantivy.Query.all_query()))
        top = tantivy.Query.boolean_query(clauses)
        texts = [leaf for node in nodes for leaf in positive_leaves(node)]
        searcher = self._searcher()
        try:
            total, page, scored = sorted_page(searcher, top, query, bool(texts))
            facets, infos = count_facets(searcher, self._schema, top, query)
            payloads = [json.loads(stored(searcher, address, "payload")) for _, address in page]
        except ValueError as exc:
            raise BackendError(f"the tantivy index failed to search: {exc}") from exc
        found = [analyse_leaf(leaf) for leaf in dict.fromkeys(texts)]
        marks = ({s for leaf in found for s in leaf.stems}, [p for f in found for p in f.prefixes])
        hits = [
            page_hit(payload, query, marks if texts else None, score if scored else None)
            for (score, _), payload in zip(page, payloads, strict=True)
        ]
        return Results(
            total=total,
            page=query.page,
            size=query.size,
            start=query.offset(),
            hits=hits,
            facets=facets,
            facet_info=infos,
        )

    def suggest(self, prefix: str, size: int = 10, roles: Sequence[str] | None = ()) -> list[str]:
        """Keywords (most used first), then titles, that start with `prefix`, ignoring case
        and accents; only from records a caller with `roles` may see (the default: public
        records; None: every record)."""
        key = suggest_key(prefix)
        if not key or size <= 0:
            return []
        visible = None if roles is None else [PUBLIC, *roles]
        allowed = (
            tantivy.Query.all_query()
            if visible is None
            else tantivy.Query.term_set_query(self._schema, keyword_field(ACCESS), visible)
        )
        searcher = self._searcher()
        keywords = self._keywords_starting_with(searcher, allowed, key)
        titles = self._titles_starting_with(searcher, allowed, key, size)
        return merged_suggestions(keywords, titles, size)

    def _keywords_starting_with(
        self, searcher: tantivy.Searcher, allowed: tantivy.Query, key: str
    ) -> list[str]:
        field = keyword_field("keyword")
        answer = searcher.aggregate(
            allowed, {"k": {"terms": {"field": field, "size": 1 << 20, "segment_size": 1 << 30}}}
        )["k"]
        found = [
            (-b["doc_count"], str(b["key"]))
            for b in answer["buckets"]
            if " ".join(tokenise(str(b["key"]))).startswith(key)
        ]
        return [value for _, value in sorted(found)]

    def _titles_starting_with(
        self, searcher: tantivy.Searcher, allowed: tantivy.Query, key: str, size: int
    ) -> list[str]:
        pattern = "".join(f"\\{c}" if not c.isalnum() and c != " " else c for c in key)
        starting = tantivy.Query.regex_query(self._schema, "title_key", pattern + ".*")
        both = tantivy.Query.boolean_query([(_MUST, allowed), (_MUST, starting)])
        hits = searcher.search(
            both, limit=size, order_by_field="title_key", order=tantivy.Order.Asc
        )
        return [
            json.loads(stored(searcher, address, "payload"))["title"] for _, address in hits.hits
        ]
