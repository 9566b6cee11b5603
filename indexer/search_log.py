"""The search log: what people search for, never who (the dashboard's top searches and
searches with no result).

Every first page of a search that runs through the SearchService (GET /api/search, the web
search page, CSW, OGC API - Records, the GeoNetwork facade, `moisson search`) is counted under
its UTC day, its normalised text and the filters it used:

- `normalise_text`: lower-cased, whitespace folded, cut to 200 characters; any word that looks
  like an e-mail address, a URL with credentials or parameters, or a secret (an API token,
  a JWT, a long run of hex or base64) is dropped: people paste such things into search boxes
  by mistake, and a log must not keep them.
- `filters_used`: the filter fields with their values (theme, source, keyword...: catalogue
  vocabulary, scrubbed the same way), date ranges and boxes by field name only. Filters on
  record ids are lookups of known records (a record page, CSW GetRecordById), not searches.
- No user, role, address, user agent or time beyond the day is ever passed in, so none can
  be written. Searches whose words were all dropped and that used no filter are not counted.

Writing is off the request path: `record` adds to an in-memory batch (a dict update under a
lock); a daemon thread writes the batch through the store every `flush_seconds` (one upsert
for all of it), and `close` writes what is left. A crash loses at most that many seconds of
counts, never a search (a server worker that exits writes its batch at exit). Rows older
than `retention_days` are deleted once a day.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from indexer.store import Store
from indexer.store.search_log import SearchCounts
from moisson.errors import MoissonError
from moisson.query import FieldFilter, Near, Phrase, Prefix, Query, Range, Spatial, Term, walk

__all__ = ["MAX_FILTERS", "MAX_TEXT", "SearchLog", "filters_used", "normalise_text"]

logger = logging.getLogger(__name__)

MAX_TEXT = 200  # the search_log.query column
MAX_FILTERS = 500  # the search_log.filters column
_MAX_VALUES = 5  # values of one filter kept (a long OR list is summarised)
# Filters that fetch known records (a record page, CSW GetRecordById): no search of anyone's.
_LOOKUPS = frozenset({"id", "original_id"})

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+|mailto:", re.IGNORECASE)
_URL_SECRET = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s]*@|[?&][^=\s]+=", re.IGNORECASE)
_JWT = re.compile(r"^ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.")
_TOKEN_PREFIX = re.compile(r"^(mst|ghp|gho|github_pat|glpat|xox[abp]|sk|pk|AKIA)[_-]?", re.I)
_HEX = re.compile(r"^[0-9a-f]{24,}$", re.IGNORECASE)
_SECRET_RUN = re.compile(r"^[A-Za-z0-9+/=_]{20,}$")


def _secret(word: str) -> bool:
    """Whether `word` looks like something nobody should find in a log."""
    if _EMAIL.search(word) or _URL_SECRET.search(word) or _JWT.match(word):
        return True
    bare = word.strip(".,;:()[]{}'\"")
    if _HEX.match(bare):
        return True
    if _TOKEN_PREFIX.match(bare) and len(bare) >= 16 and any(c.isdigit() for c in bare):
        return True
    # A long run with no separator mixing digits and letters: base64 or a random token, not
    # a word nor a dataset code (those have '-' or '.', e.g. EPTB-VIL-ZH-2022).
    return bool(
        _SECRET_RUN.match(bare)
        and any(c.isdigit() for c in bare)
        and any(c.isalpha() for c in bare)
    )


def normalise_text(text: str) -> str:
    """The loggable form of a query text (see the module docstring)."""
    words = [word for word in text.split() if not _secret(word)]
    return " ".join(words).lower()[:MAX_TEXT].strip()


def _query_text(query: Query) -> str:
    """The words a query searched for: `q`, else the text of a protocol-built tree."""
    if query.q.strip():
        return query.q
    if query.text is None:
        return ""
    words: list[str] = []
    for node in walk(query.text):
        if isinstance(node, Term | Phrase | Prefix):
            words.append(node.text)
        elif isinstance(node, Near):
            words.extend(node.phrases)
    return " ".join(words)


def _values(values: list[str] | tuple[str, ...]) -> str:
    kept = sorted({normalise_text(v) for v in values} - {""})
    more = len(kept) - _MAX_VALUES
    return "|".join(kept[:_MAX_VALUES]) + (f"|+{more}" if more > 0 else "")


def filters_used(query: Query) -> str:
    """The filters of `query` as one sorted, loggable string: `field=value|value` for keyword
    filters, the bare field name for dates and boxes; '' when none."""
    used: set[str] = set()
    for field, values in query.filters.items():
        if field not in _LOOKUPS:
            used.add(f"{field}={_values(values)}")
    used.update(r.field for r in query.ranges)
    if query.bbox is not None:
        used.add("bbox")
    if query.date_from is not None or query.date_to is not None:
        used.add("date")
    for node in walk(query.where) if query.where is not None else []:
        if isinstance(node, FieldFilter) and node.field not in _LOOKUPS:
            used.add(f"{node.field}={_values(node.values)}")
        elif isinstance(node, Range):
            used.add(node.field)
        elif isinstance(node, Spatial):
            used.add("bbox")
    joined = ";".join(sorted(used))
    return joined if len(joined) <= MAX_FILTERS else joined[: MAX_FILTERS - 1] + "…"


def _today() -> date:
    return datetime.now(UTC).date()


class SearchLog:
    """Counts searches in memory and writes them through the store in batches (see the
    module docstring). `start()` launches the writer thread; without it, `flush()` writes.
    Safe across request threads."""

    def __init__(
        self,
        store: Store,
        *,
        retention_days: int = 365,
        flush_seconds: float = 5.0,
        today: Callable[[], date] = _today,
    ) -> None:
        self.store = store
        self.retention_days = retention_days
        self.flush_seconds = flush_seconds
        self._today = today
        self._batch: dict[tuple[date, str, str], SearchCounts] = {}
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one write at a time, so counts are never lost
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._purged: date | None = None

    def record(self, query: Query, total: int) -> None:
        """Count one search (the query as the caller asked it, and its hit count). Only
        first pages that return hits or facets to a person are counted: a later page, a
        count-only request or one with no words nor filters is no new search."""
        if (query.start or 0) > 0 or query.page > 1 or query.size == 0:
            return
        text = normalise_text(_query_text(query))
        filters = filters_used(query)
        if not text and not filters:
            return
        key = (self._today(), text, filters)
        counts = SearchCounts(1, 1 if total == 0 else 0, max(total, 0))
        with self._lock:
            self._batch[key] = self._batch.get(key, SearchCounts()) + counts

    def start(self) -> SearchLog:
        """Write in the background every `flush_seconds` (idempotent)."""
        with self._lock:
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, daemon=True, name="moisson-search-log"
                )
                self._thread.start()
                # A server worker exits without closing its runtime: write the rest then.
                atexit.register(self._at_exit)
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            try:
                self.flush()
            except RuntimeError:  # its store was closed without closing the log
                logger.debug("search log: store closed; background writer stops")
                return

    def flush(self) -> int:
        """Write the counts gathered so far (and apply the retention once a day); how many
        rows the batch held. A failed write puts the batch back for the next try."""
        with self._flushing:
            with self._lock:
                batch, self._batch = self._batch, {}
            try:
                self.store.add_searches(batch)
                today = self._today()
                if batch and self._purged != today:  # no write at all while nobody searches
                    gone = self.store.purge_search_log(today - timedelta(days=self.retention_days))
                    self._purged = today
                    if gone:
                        logger.info("search log: %d rows past retention deleted", gone)
            except MoissonError as exc:
                logger.warning("search log not written, kept for the next try: %s", exc.message)
                with self._lock:
                    for key, counts in batch.items():
                        self._batch[key] = counts + self._batch.get(key, SearchCounts())
                return 0
            return len(batch)

    def _at_exit(self) -> None:
        try:
            self.close()
        except RuntimeError:  # its store was closed first (an embedding app, a test)
            logger.debug("search log: store closed before the process exit; batch dropped")

    def close(self) -> None:
        """Stop the writer thread and write what is left."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            atexit.unregister(self._at_exit)
            thread.join()
        self.flush()
