"""The `SearchBackend` plug point: the embedded SQLite index and OpenSearch.

Both implementations run the one contract suite in tests/contract/test_search_backend.py, so
their behaviour cannot drift. Inputs and outputs are the pydantic models of moisson.record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from moisson.query import FACETS
from moisson.record import Query, Record, Results

__all__ = ["FACETS", "SearchBackend"]


class SearchBackend(Protocol):
    """Contract:

    - `capabilities` names the query features supported ("fulltext", "bbox", "daterange",
      "facets", "highlight", "suggest", "advanced"); the API refuses others with a 400.
    - The constructor does no I/O; `open()` connects (creating the index if needed),
      `close()` releases. Build one instance at startup and hand it down.
    - `index` upserts by `Record.id` and returns how many records were written; it never
      silently drops one (a failure raises BackendError).
    - `search` raises BadQuery for a query the user must fix, never a library error.
    - `search` and `suggest` only see records whose `Record.access` holds PUBLIC or one of
      the caller's roles (`Query.roles`, `roles`; None: every record), filtered inside the
      engine's query so totals, facet counts and pages cover exactly those records.
    - With `Query.collapse` (the default) `search` shows one record per duplicate cluster,
      the first the caller may see (`Record.collapse`; indexer/backends/documents.py),
      again filtered inside the query, and counts `source` over every copy's source;
      `collapse=False` shows every record.
    - `reindex` builds a fresh index from the given records and swaps it in at the end; if
      it fails, the previous index keeps serving.
    - `deferred_refresh()` wraps a run of writes (a harvest) whose visibility to other
      readers may wait until the block ends, so an engine that pays per refresh pays once;
      reads through the same instance still see every write. A backend whose writes are
      visible at once returns a context that does nothing.
    """

    capabilities: frozenset[str]

    def open(self) -> None: ...

    def close(self) -> None: ...

    def index(self, records: Sequence[Record]) -> int: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def search(self, query: Query) -> Results: ...

    def suggest(
        self, prefix: str, size: int = 10, roles: Sequence[str] | None = ()
    ) -> list[str]: ...

    def count(self) -> int: ...

    def reindex(self, records: Iterable[Record]) -> int: ...

    def deferred_refresh(self) -> AbstractContextManager[None]: ...
