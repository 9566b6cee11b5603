"""The embedded search backend: SQLite FTS5 for text, in-memory numpy columns for the rest.

Targets (2-core machine, text query with all facets counted): median <= 5 ms at 10k records;
at 100k, median <= 10 ms and p95 <= 25 ms. Why this design meets them:

- Facets by SQL GROUP BY were 65-80% of a search at 100k records (37 ms median); counted
  over in-memory columns they take a few ms. So filters, facets, dates, boxes and sort keys
  live in `Columns` (indexer/backends/sqlite_columns.py), loaded at open() and refreshed from
  the docs table when anything (this process or the harvester CLI) writes.
- FTS5's bm25() costs ~0.9 us per matching row: 24 ms for a word in a quarter of 100k
  records, before any facet. Ranking is BM25 with field weights and binary term frequency,
  computed in numpy from which fields matched (indexer/backends/sqlite_query.py).
- Which fields matched comes from one single-column FTS5 table per field. A 3-column table
  with column filters decodes the posting list once per field (4.3 ms for that word); three
  tables decode each field's postings once (1.4 ms). Rowids come back as one group_concat
  string per field, parsed by numpy (fetching 27k rows as tuples costs 5 ms more).
- The FTS tables hold analysed text (French stems, then English variants: see
  indexer/analysis.py); snippets are built in Python from the original abstract.

Measured with bench/generate.py records (200 searches cycling 'foret', 'zones humides', 'eau'
(in 42% of records), 'natura 2000', 'occupation du sol'; all 7 facets counted, 20 hits with
snippets): 10k records p50 1.5 ms, p95 1.9 ms; 100k records p50 6.7-7.2 ms, p95 8.8-9.7 ms.
Indexing ~4,300 records/s in pages of 1,000; open() loads 100k records' columns in ~1.7 s.

Storage: `docs` (payload JSON of the hit, facet values JSON, reference day, normalised title,
field lengths, and `gen`, the write generation), `boxes`, `removed` (rowid, gen), `meta`
(epoch, generation) and `column_arrays`, the columns saved as numpy arrays at some
generation (sqlite_snapshot.py: open() at 1M rows reads them in ~2 s instead of rebuilding
them from every row in ~60 s CPU). Every write transaction bumps the generation; a search checks
`PRAGMA data_version` on its read connection (~1 us) and, when another connection wrote,
applies only the rows with a newer generation. `reindex` builds shadow tables in the same
file and swaps them in one transaction with a new epoch (replacing the file under another
process's open WAL connections could corrupt it), after which readers reload everything.

Connections: one writer (WAL, behind a lock) and a pool of read connections, so Flask's
threads search concurrently.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np

from indexer.backends.documents import (
    ACCESS,
    OUTRANKED,
    RANKED_BELOW,
    check_filters,
    merged_suggestions,
    page_hit,
    suggest_key,
)
from indexer.backends.sqlite_cache import MatchCache
from indexer.backends.sqlite_columns import Columns, page
from indexer.backends.sqlite_postings import Postings
from indexer.backends.sqlite_query import (
    Leaf,
    LeafMatch,
    evaluate,
    fts_leaf,
    positive_leaves,
    scores_of,
)
from indexer.backends.sqlite_snapshot import ColumnBuilder, saved_generation
from indexer.backends.sqlite_snapshot import restore as restore_columns
from indexer.backends.sqlite_snapshot import save as save_columns
from indexer.backends.sqlite_tables import DATE_NAMES, Prepared, SqliteTables, sqlite_errors
from indexer.query_text import text_tree
from moisson.errors import BackendError, ConfigError
from moisson.query import Node, TextLeaf
from moisson.record import (
    PUBLIC,
    FacetBucket,
    FacetInfo,
    Query,
    Record,
    Results,
)

__all__ = ["CACHE_BYTES", "FACET_BUDGET", "SqliteBackend"]

logger = logging.getLogger(__name__)

_BATCH = 2000  # records per transaction in reindex
# Seconds a search may spend counting facets (all of them take a few ms at 100k records);
# past it the remaining facets are reported as timed out rather than slowing the page.
FACET_BUDGET = 1.0
# Bytes of text matches, scores, condition masks and facet counts kept per index snapshot
# (sqlite_cache.py): at 1M records a word in a third of the records takes ~4.6 MiB (mask and
# rowids per field), its scores 4 MiB, a bbox or access mask 1 MiB; 256 MiB hold ~25 words.
CACHE_BYTES = 256 * 2**20


class SqliteBackend:
    """SearchBackend on one SQLite file (see the module docstring for the design)."""

    capabilities: frozenset[str] = frozenset(
        {"fulltext", "bbox", "daterange", "facets", "highlight", "suggest", "advanced"}
    )

    def __init__(
        self,
        path: str | Path,
        *,
        facet_budget: float = FACET_BUDGET,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        self.path = Path(path)
        self.facet_budget = facet_budget
        self._tables = SqliteTables(self.path)
        self._postings = Postings()  # saved posting sets of frequent terms
        self._writer: sqlite3.Connection | None = None
        self._write_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._readers: list[sqlite3.Connection] = []
        self._versions: dict[int, int] = {}
        self._seen: dict[int, tuple[str, int]] = {}  # connection -> (epoch, generation) seen
        self._columns = Columns.empty("")
        self.cache_bytes = cache_bytes
        self._cache: tuple[Columns, MatchCache] = (self._columns, MatchCache(0))

    def resize_cache(self, cache_bytes: int) -> None:
        """Set the match cache's budget (0: off) and drop what it holds."""
        with self._refresh_lock:
            self.cache_bytes = cache_bytes
            self._cache = (Columns.empty(""), MatchCache(0))

    def _cache_of(self, columns: Columns) -> MatchCache:
        """The match cache of snapshot `columns` (a new, empty one for a new snapshot)."""
        owner, cache = self._cache
        if owner is not columns:
            with self._refresh_lock:
                owner, cache = self._cache
                if owner is not columns:
                    cache = MatchCache(self.cache_bytes)
                    self._cache = (columns, cache)
        return cache

    @classmethod
    def from_url(cls, url: str) -> SqliteBackend:
        """`sqlite:///relative/path.db` or `sqlite:////absolute/path.db` (SQLAlchemy's form),
        optionally `?facet_budget_ms=N` (see FACET_BUDGET) and `cache_mb=N` (see
        CACHE_BYTES; 0 switches the match cache off)."""
        prefix = "sqlite:///"
        path, _, options = url.partition("?")
        if not path.startswith(prefix) or len(path) == len(prefix):
            raise ConfigError(f"index URL {url!r} must look like sqlite:///path/to/index.db")
        known = {"facet_budget_ms": FACET_BUDGET * 1000, "cache_mb": CACHE_BYTES / 2**20}
        chosen = dict(known)
        for key, values in parse_qs(options, keep_blank_values=True).items():
            if key not in known or not values[-1].isdigit():
                raise ConfigError(
                    f"index URL {url!r}: unknown or bad parameter {key!r} "
                    "(known: facet_budget_ms=N, cache_mb=N)"
                )
            chosen[key] = int(values[-1])
        return cls(
            path[len(prefix) :],
            facet_budget=chosen["facet_budget_ms"] / 1000,
            cache_bytes=int(chosen["cache_mb"] * 2**20),
        )

    def __repr__(self) -> str:
        return f"SqliteBackend({str(self.path)!r})"

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self) -> None:
        if self._writer is not None:
            return
        self._writer = self._tables.create()
        with self._write_lock, self._transaction(self._writer, "BEGIN"):
            self._sync(self._writer, force=True)
        self._save_columns(self._writer)
        logger.info("opened %s: %d records", self.path, self._columns.documents)

    def _save_columns(self, conn: sqlite3.Connection) -> None:
        """Save the columns into the index file (sqlite_snapshot.py) when what is saved
        misses more than a tenth of them, so the next open() reads arrays. Skipped, not
        waited for, while another process writes (a harvest): the columns stay correct."""
        columns = self._columns
        if not columns.documents:
            return
        saved = saved_generation(conn, columns.epoch)
        if saved is not None and (
            saved >= columns.generation
            or self._tables.changed(conn, saved) <= columns.documents // 10
        ):
            return
        with self._write_lock:
            try:
                conn.execute("PRAGMA busy_timeout = 200")
                with self._transaction(conn, "BEGIN IMMEDIATE"):
                    written = save_columns(conn, columns)
                logger.info("saved the index columns: %.0f MiB", written / 2**20)
            except BackendError as exc:
                logger.warning("index columns not saved (%s); next open() rebuilds them", exc)
            finally:
                conn.execute("PRAGMA busy_timeout = 30000")

    def close(self) -> None:
        with self._write_lock:
            for conn in [*self._readers, *([self._writer] if self._writer else [])]:
                conn.close()
            self._writer = None
            self._readers.clear()
            self._versions.clear()
            self._seen.clear()
            self._idle = queue.SimpleQueue()

    def _require_writer(self) -> sqlite3.Connection:
        if self._writer is None:
            raise BackendError(f"the search index {self.path} is not open; call open() first")
        return self._writer

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection, begin: str) -> Iterator[None]:
        with sqlite_errors("writing to the search index"):
            conn.execute(begin)
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _reading(self, *, advanced: bool = False) -> Iterator[sqlite3.Connection]:
        """A pooled read connection inside a read transaction, with the columns refreshed."""
        self._require_writer()
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._tables.connect(readonly=True)
            self._readers.append(conn)
        try:
            with sqlite_errors("searching", advanced=advanced):
                conn.execute("BEGIN")
                try:
                    self._sync(conn)
                    yield conn
                finally:
                    conn.execute("COMMIT")
        finally:
            self._idle.put(conn)

    def _sync(self, conn: sqlite3.Connection, *, force: bool = False) -> None:
        """Bring the columns up to what `conn` sees; cheap when nothing changed."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if not force and self._versions.get(id(conn)) == version:
            return
        with self._refresh_lock:
            epoch, generation = self._tables.meta(conn)
            self._seen[id(conn)] = (epoch, generation)
            current = self._columns
            if current.epoch != epoch:  # a new build: its saved columns, then what followed
                base = restore_columns(conn, epoch) or Columns.empty(epoch)
                loaded = base.generation >= generation
                self._columns = base if loaded else self._tables.load(conn, base, generation)
            elif generation > current.generation:
                self._columns = self._tables.load(conn, current, generation)
            self._versions[id(conn)] = version

    # -- writing -----------------------------------------------------------------------------

    def index(self, records: Sequence[Record]) -> int:
        items = list({p.id: p for p in map(Prepared.of, records)}.values())
        if not items:
            return 0
        conn = self._require_writer()
        with self._write_lock, self._transaction(conn, "BEGIN IMMEDIATE"):
            self._tables.write(conn, items, self._tables.next_generation(conn))
        # No column refresh here: readers use their own connections, whose data_version
        # moves with this commit, and refresh on their next search. Refreshing after every
        # page made a harvest O(pages x index size).
        return len(items)

    def delete(self, ids: Sequence[str]) -> None:
        conn = self._require_writer()
        with self._write_lock:
            with self._transaction(conn, "BEGIN IMMEDIATE"):
                self._tables.remove(conn, list(ids), self._tables.next_generation(conn))
            with self._transaction(conn, "BEGIN"):
                self._sync(conn, force=True)

    @contextmanager
    def deferred_refresh(self) -> Iterator[None]:
        """Nothing to defer: a write is visible to every reader once committed. A run's end
        is where the saved columns catch up, though: a harvest writes rows only, so after a
        big one the next open() (`moisson serve`) rebuilt every column from the rows, 65 s
        at 1M. Saved only when a tenth of the rows changed (`_save_columns`); a run that
        failed saves nothing."""
        yield
        conn = self._require_writer()
        with self._write_lock, self._transaction(conn, "BEGIN"):
            self._sync(conn, force=True)
        self._save_columns(conn)

    def reindex(self, records: Iterable[Record]) -> int:
        """Build shadow tables from `records`, then swap them in one transaction. On any
        failure the shadow tables are dropped and the current index keeps serving."""
        conn = self._require_writer()
        written = 0
        epoch = uuid.uuid4().hex
        builder = ColumnBuilder(epoch, DATE_NAMES)
        with self._write_lock:
            try:
                with self._transaction(conn, "BEGIN IMMEDIATE"):
                    self._tables.create_shadow(conn)
                iterator = iter(records)
                while batch := list(itertools.islice(iterator, _BATCH)):
                    items = list({p.id: p for p in map(Prepared.of, batch)}.values())
                    del batch
                    with self._transaction(conn, "BEGIN IMMEDIATE"):
                        self._tables.write(conn, items, 0, shadow=True, builder=builder)
                    written += len(items)
                    del items
                # The new columns are committed with the tables they describe, so other
                # processes restore them instead of rebuilding (sqlite_snapshot.py).
                with self._transaction(conn, "BEGIN IMMEDIATE"):
                    generation = self._tables.swap(conn, epoch)
                    if builder.spoiled:
                        columns = self._tables.load(conn, Columns.empty(epoch), generation)
                    else:
                        columns = builder.columns(generation)
                    del builder
                    save_columns(conn, columns)
            except BaseException:
                with sqlite_errors("dropping a failed reindex"):
                    self._tables.drop_shadow(conn)
                raise
            with self._refresh_lock:
                self._columns = columns
        logger.info("reindexed %s: %d records", self.path, written)
        return self._columns.documents

    # -- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        with self._reading():
            return self._columns.documents

    def search(self, query: Query) -> Results:
        check_filters(query)
        tree = text_tree(query)
        conditions = query.conditions()
        ordering = query.ordering()
        texts = [leaf for node in [tree, *conditions] if node for leaf in positive_leaves(node)]
        compiled = {leaf: fts_leaf(leaf) for leaf in dict.fromkeys(texts)}
        with self._reading(advanced=query.advanced) as conn:
            columns = self._columns
            matches: dict[Leaf, LeafMatch] = {}

            cache = self._cache_of(columns)
            # Text matches read through `conn` are kept only when it saw this very snapshot.
            current = self._seen.get(id(conn)) == (columns.epoch, columns.generation)

            def fetch(leaf: TextLeaf) -> LeafMatch:
                fts = compiled.get(leaf) or fts_leaf(leaf)
                if fts not in matches:
                    matches[fts] = cache.get(
                        ("text", fts),
                        lambda: self._postings.match(conn, fts, columns.size),
                        keep=current,
                    )
                return matches[fts]

            def other(node: Node) -> np.ndarray:
                return cache.get(
                    ("condition", node, query.collapse),
                    lambda: columns.condition_mask(node, query.collapse),
                )

            def holding(facet: str, values: Sequence[str]) -> np.ndarray:
                return cache.get(
                    (facet, tuple(values)),
                    lambda: columns.facets[facet].holding(values, columns.size),
                )

            mask = columns.alive
            narrowed = tree is not None
            visible = query.visible()
            if visible is not None:  # who may see what: in the mask, so counts and pages agree
                mask = mask & holding(ACCESS, visible)
                narrowed = True
            if query.collapse:  # one hit per duplicate cluster (documents.OUTRANKED)
                hidden = [RANKED_BELOW] if visible is None else visible
                dropped = holding(OUTRANKED, hidden)
                if dropped.any():  # no duplicates: the cached whole-index counts still hold
                    mask = mask & ~dropped
                    narrowed = True
            for node in [tree, *conditions]:
                if node is not None:
                    mask = mask & evaluate(node, lambda leaf: fetch(leaf).mask, other, mask)
                    narrowed = True
            rowids = np.flatnonzero(mask)
            # The same rows again (a repeated search, another page of it): counts reused.
            seen = None if visible is None else tuple(visible)
            selection = (tree, tuple(conditions), seen, query.collapse) if current else None
            facets, infos = self._facets(
                columns, rowids, mask if narrowed else None, query, cache, selection
            )

            scores = None
            if texts and any(sort.field == "relevance" for sort in ordering):
                leaves = tuple(compiled.values())
                every = cache.get(  # per row, for every row: a filter change reuses it
                    ("scores", leaves),
                    lambda: scores_of([fetch(leaf) for leaf in compiled], columns),
                    keep=current,
                )
                scores = every[rowids]
            if any(sort.field == "title" for sort in ordering) and columns.title_rank is None:
                columns.title_rank = self._tables.title_rank(conn, columns.size)
            keys = columns.sort_keys(ordering, rowids, scores)
            start = query.offset()
            chosen = page(keys, rowids, start, start + query.size)
            payloads = self._tables.payloads(conn, chosen)
        found = list(compiled.values())
        marks = ({s for leaf in found for s in leaf.stems}, [p for f in found for p in f.prefixes])
        hits = [
            page_hit(
                json.loads(payloads[rowid]),
                query,
                marks if texts else None,
                None if scores is None else scores[np.searchsorted(rowids, rowid)],
            )
            for rowid in chosen.tolist()
            if rowid in payloads
        ]
        return Results(
            total=len(rowids),
            page=query.page,
            size=query.size,
            start=query.offset(),
            hits=hits,
            facets=facets,
            facet_info=infos,
        )

    def _facets(
        self,
        columns: Columns,
        rowids: np.ndarray,
        mask: np.ndarray | None,
        query: Query,
        cache: MatchCache,
        selection: Hashable | None,
    ) -> tuple[dict[str, list[FacetBucket]], dict[str, FacetInfo]]:
        """Buckets per facet, counted in FACETS order until `facet_budget` seconds have gone:
        the facets left are empty and marked `timed_out`, and the page still answers. Counts
        are kept in `cache` under `selection` (what chose the rows; None: not kept)."""
        facets: dict[str, list[FacetBucket]] = {}
        infos: dict[str, FacetInfo] = {}
        deadline = time.monotonic() + self.facet_budget
        for name in query.facet_names():
            if time.monotonic() >= deadline:
                facets[name], infos[name] = [], FacetInfo(timed_out=True)
                continue
            column = columns.keyword(name, query.collapse)
            chosen = query.filters.get(name, [])
            # Only what the page shows is counted exactly (sqlite_facets.Top), so the page's
            # facet size and selected values are part of the key.
            counts = cache.get(
                ("counts", name, query.collapse, selection, query.facet_size, tuple(chosen)),
                lambda column=column, chosen=chosen: column.counts(  # type: ignore[misc]
                    rowids, mask, query.facet_size, chosen
                ),
                keep=selection is not None and mask is not None,
            )
            facets[name], truncated = column.buckets(counts, chosen, query.facet_size)
            infos[name] = FacetInfo(truncated=truncated)
        return facets, infos

    def suggest(self, prefix: str, size: int = 10, roles: Sequence[str] | None = ()) -> list[str]:
        """Keywords (most used first), then titles, that start with `prefix`, ignoring case
        and accents; only from records a caller with `roles` may see (the default: public
        records; None: every record)."""
        key = suggest_key(prefix)
        if not key or size <= 0:
            return []
        visible = None if roles is None else [PUBLIC, *roles]
        with self._reading() as conn:
            columns = self._columns
            mask = None
            counts = None
            if visible is not None:
                mask = columns.alive & columns.facets[ACCESS].holding(visible, columns.size)
                counts = columns.facets["keyword"].counts(np.flatnonzero(mask), mask)
            keywords = columns.facets["keyword"].starting_with(key, counts=counts)
            titles = self._tables.titles_starting_with(conn, key, size, mask)
        return merged_suggestions(keywords, titles, size)
