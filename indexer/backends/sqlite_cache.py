"""The embedded index's match cache: rowid sets of text leaves, their scores, condition
masks and facet counts, reused by later searches of the same index snapshot (issue 19,
search at 1M records).

Why: at 1M records the costs of a search that grow with the index are, in order, reading a
common word's postings from FTS5 (a word in a third of the records: ~300k rowids per field,
tens of ms), a bbox over every record's boxes and the access filter's mask (a few ms each).
Catalogue traffic repeats its words, map extents and roles (the datahub's start page, the
map view of a region, a facet clicked after a search), so keeping those rowid sets is what
OpenSearch does too (its node query cache keeps filter bitsets per segment, its request cache
aggregation results). Facet counts are kept per selection (text tree, conditions, roles,
collapse): a repeated search or its next page counts nothing again.

Never stale: a cache belongs to one `Columns` snapshot (indexer/backends/sqlite_columns.py);
any write makes a new snapshot with an empty cache. The backend stores into it only what a
connection read at exactly that snapshot's generation. Bounded by bytes (`budget`, the
`cache_mb` parameter of the index URL, 0 to switch off), least recently used out first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np

from indexer.backends.sqlite_query import LeafMatch

__all__ = ["MatchCache"]

T = TypeVar("T", LeafMatch, np.ndarray)


def _bytes(value: LeafMatch | np.ndarray) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    return int(value.mask.nbytes) + sum(int(a.nbytes) for a in value.by_field.values())


class MatchCache:
    """A byte-bounded LRU of LeafMatch / mask values, safe across threads."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, LeafMatch | np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T], *, keep: bool = True) -> T:
        """The cached value of `key`, else `compute()` (stored when `keep` and it fits)."""
        if self.budget <= 0:
            return compute()
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found  # type: ignore[return-value]
            self.misses += 1
        value = compute()
        size = _bytes(value)
        if not keep or size > self.budget // 4:
            return value
        with self._lock:
            if key not in self._items:
                self._items[key] = value
                self.used += size
            while self.used > self.budget:
                _, dropped = self._items.popitem(last=False)
                self.used -= _bytes(dropped)
        return value
