"""One keyword field of the embedded index in memory (indexer/backends/sqlite_columns.py):
its value vocabulary and a rowid x value 0/1 matrix, held both as CSR (counting the values of
a set of rows, per-row sort keys) and as CSC (the rows holding a value, for filters).

Facets, the hidden access/collapse facets and the other keyword fields of the neutral query
(ids, identifiers, DOIs, language, topic categories) are all FacetColumns.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from indexer.analysis import tokenise
from moisson.record import FacetBucket

__all__ = ["FacetColumn"]


# Below this share of all rows, gathering the selected rows' values beats a full mat-vec.
_GATHER_SHARE = 0.15


@dataclass
class FacetColumn:
    values: list[str]
    index: dict[str, int]
    rows: sparse.csr_matrix  # rowid x value
    by_value: sparse.csc_matrix
    rank: np.ndarray  # position of each value in sorted order (bucket tie-break)
    everything: np.ndarray | None = None  # counts over all rows, computed on first use
    keys: list[tuple[str, int]] | None = None  # (normalised value, column), sorted; suggest
    ordered: list[tuple[str, int]] | None = None  # (value, column) sorted; prefix filters
    sort_cache: dict[str, np.ndarray] = field(default_factory=dict)  # direction -> row keys

    @classmethod
    def empty(cls) -> FacetColumn:
        matrix = sparse.csr_matrix((0, 0), dtype=np.int32)
        return cls([], {}, matrix, matrix.tocsc(), np.zeros(0, dtype=np.int64))

    def updated(
        self, touched: np.ndarray, added: list[tuple[int, list[str]]], size: int
    ) -> FacetColumn:
        """Drop the entries of `touched` rows, add `added` (rowid, values), grow to `size`."""
        index = dict(self.index)
        flat = [value for _, found in added for value in found]
        new_cols = np.asarray([index.setdefault(v, len(index)) for v in flat], dtype=np.int32)
        new_rows = np.repeat(
            np.asarray([rowid for rowid, _ in added], dtype=np.int32),
            [len(found) for _, found in added],
        )
        grew = len(index) > len(self.values)
        values = self.values + list(index)[len(self.values) :] if grew else self.values
        coo = self.rows.tocoo()
        keep = ~touched[coo.row] if coo.nnz else np.zeros(0, dtype=bool)
        rows = np.concatenate([coo.row[keep].astype(np.int32), new_rows])
        cols = np.concatenate([coo.col[keep].astype(np.int32), new_cols])
        matrix = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(size, len(values))
        )
        rank = self.rank
        if grew:
            rank = np.empty(len(values), dtype=np.int64)
            rank[sorted(range(len(values)), key=values.__getitem__)] = np.arange(len(values))
        return FacetColumn(values, index if grew else self.index, matrix, matrix.tocsc(), rank)

    def holding(self, wanted: Sequence[str], size: int) -> np.ndarray:
        """Mask of the rows holding any of `wanted` (values within one facet are OR'ed)."""
        mask = np.zeros(size, dtype=bool)
        pointer, rows = self.by_value.indptr, self.by_value.indices
        for value in wanted:
            column = self.index.get(value)
            if column is not None:
                mask[rows[pointer[column] : pointer[column + 1]]] = True
        return mask

    def starting(self, prefixes: Sequence[str], size: int) -> np.ndarray:
        """Mask of the rows holding a value that starts with one of `prefixes` (as given,
        case-sensitive, like `holding`)."""
        if self.ordered is None:
            self.ordered = sorted((v, i) for i, v in enumerate(self.values))
        wanted: list[str] = []
        for prefix in prefixes:
            for value, _ in self.ordered[bisect.bisect_left(self.ordered, (prefix,)) :]:
                if not value.startswith(prefix):
                    break
                wanted.append(value)
        return self.holding(wanted, size)

    def present(self) -> np.ndarray:
        """Mask of the rows holding any value."""
        return np.diff(self.rows.indptr) > 0  # type: ignore[no-any-return]

    def sort_key(self, direction: str) -> np.ndarray:
        """Per row: its smallest value's rank (asc) or minus its largest's (desc); inf for
        rows without a value, so they come last either way. Cached per snapshot."""
        found = self.sort_cache.get(direction)
        if found is None:
            pointer = self.rows.indptr
            found = np.full(len(pointer) - 1, np.inf)
            filled = np.diff(pointer) > 0
            if filled.any():
                ranks = self.rank[self.rows.indices].astype(np.float64)
                starts = pointer[:-1][filled]
                if direction == "asc":
                    found[filled] = np.minimum.reduceat(ranks, starts)
                else:
                    found[filled] = -np.maximum.reduceat(ranks, starts)
            self.sort_cache[direction] = found
        return found

    def counts(self, rowids: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """Per-value counts over the selected rows: `rowids` and the same set as a dense
        `mask`; mask None means every live row (cached)."""
        if mask is None:
            if self.everything is None:
                self.everything = np.bincount(self.rows.indices, minlength=len(self.values))
            return self.everything
        if len(rowids) > _GATHER_SHARE * self.rows.shape[0]:
            return np.asarray(self.by_value.T @ mask.astype(np.int32))
        pointer = self.rows.indptr
        starts, lengths = pointer[rowids], pointer[rowids + 1] - pointer[rowids]
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        offsets += np.arange(len(offsets), dtype=offsets.dtype)
        return np.bincount(self.rows.indices[offsets], minlength=len(self.values))

    def starting_with(
        self, key: str, limit: int = 50, counts: np.ndarray | None = None
    ) -> list[str]:
        """Values in use whose normalised form starts with `key`, most used first; `counts`
        (per value, e.g. over the rows a caller may see) default to every live row."""
        if self.keys is None:
            self.keys = sorted((" ".join(tokenise(v)), i) for i, v in enumerate(self.values))
        if counts is None:
            counts = self.counts(np.zeros(0, dtype=np.int64), None)
        found: list[int] = []
        for normalised, column in self.keys[bisect.bisect_left(self.keys, (key,)) :]:
            if not normalised.startswith(key):
                break
            if counts[column]:
                found.append(column)
        found.sort(key=lambda column: (-counts[column], self.values[column]))
        return [self.values[column] for column in found[:limit]]

    def buckets(
        self, counts: np.ndarray, selected: Sequence[str], size: int
    ) -> tuple[list[FacetBucket], bool]:
        """Top `size` values by count then value, plus any selected value outside the top;
        and whether values were left out."""
        present = np.flatnonzero(counts)
        keys = -counts[present].astype(np.int64) * (len(self.values) + 1) + self.rank[present]
        if len(present) > size:
            keep = np.argpartition(keys, size - 1)[:size]
            present, keys = present[keep], keys[keep]
        shown = [int(i) for i in present[np.argsort(keys)]]
        names = [self.values[i] for i in shown]
        chosen = set(selected)
        buckets = [
            FacetBucket(value=name, label=name, count=int(counts[i]), selected=name in chosen)
            for name, i in zip(names, shown, strict=True)
        ]
        listed = set(names)
        missing = [v for v in dict.fromkeys(selected) if v not in listed]
        for value in missing:
            column = self.index.get(value)
            count = int(counts[column]) if column is not None else 0
            buckets.append(FacetBucket(value=value, label=value, count=count, selected=True))
        if missing:
            buckets.sort(key=lambda b: (-b.count, b.value))
        return buckets, len(np.flatnonzero(counts)) > size
