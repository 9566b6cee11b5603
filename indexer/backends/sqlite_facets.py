"""One keyword field of the embedded index in memory (indexer/backends/sqlite_columns.py):
its value vocabulary and a rowid x value 0/1 matrix, held both as CSR (counting the values of
a set of rows, per-row sort keys) and as CSC (the rows holding a value, for filters).

Facets, the hidden access/collapse facets and the other keyword fields of the neutral query
(ids, identifiers, DOIs, language, topic categories) are all FacetColumns.

Counting (issue 19, search at 1M records): a page counts eight facets over the matched rows,
often a third of the index. A sparse mat-vec over the whole column (the former path above 15%
of the rows) costs 3-18 ms per facet at 1M, gathering CSR slices per row more. So the
values are also held as a dense `rowid x width` array of value numbers (`Packed`: width
about the most values a row holds, see _WIDTH; 0 pads), counted by one fancy-index gather
and one `bincount` (single-valued facets are the width-1 case; the few rows holding more
values are counted from the CSR) when that costs less than the mat-vec (_PACKED_COST).
Above half the rows, the complement is counted and subtracted from the whole-index counts.

A column with few values (themes, protocols, years, resource types, keywords: at most 64 per
value a row holds on average, so the bits take at most twice the memory of the CSR's
indices) is also held as one bitmap of rows per value (`Bitmaps`): its counts over any
selection are one AND and one popcount per 64 rows and value, whatever share of the rows is
selected (over a third of 1M rows: themes ~1.2 ms against ~12 ms for the mat-vec, keywords
7.6 ms against 16.5 from the packed rows; see bench/README.md).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from indexer.analysis import tokenise
from moisson.record import FacetBucket

__all__ = ["FacetColumn"]


# Width of the dense rows of value numbers (see the module docstring): the most values a
# row holds, or above _WIDTH (themes with their ancestors reach ~15) the 99.5th percentile,
# never more than twice _WIDTH; rows with more values are counted from the CSR instead.
_WIDTH = 16
# Cost of counting one packed slot against one mat-vec entry: measured at 1M records (10x the
# 100k generated corpus), a packed slot ~5 ns (the bincount casts uint16 to intp), a mat-vec
# entry 1.3-3.8 ns. So themes (16 slots a row, 11 values on average) over a third of the
# rows take the mat-vec (13 ms vs 30 ms); keywords and single-valued facets the packed rows.
_PACKED_COST = 2.5
# Cost of one 64-row bitmap word (AND + popcount) against one mat-vec entry: counted one value
# at a time (Bitmaps.counts), ~1.75 ns at 1M rows (the keyword facet's 4.3M words: 7.6 ms),
# about one mat-vec entry; the whole (values, words) block at once cost 1.6-3.2 ns.
_WORD_COST = 1.0
# Bitmaps are built for columns whose values number at most this many per entry of a row on
# average: the bits (values x rows / 8 bytes) then take at most twice the CSR's 4-byte
# indices. 64 takes in the keyword facet (277 values, 7 a row: 33 MiB of bits at 1M rows,
# counted over a third of the rows in 7.6 ms instead of 16.5 from the packed rows).
_BITMAP_VALUES_PER_ENTRY = 64


def _rank(values: list[str]) -> np.ndarray:
    """Position of each value in sorted order (the buckets' tie-break)."""
    rank = np.empty(len(values), dtype=np.int64)
    rank[sorted(range(len(values)), key=values.__getitem__)] = np.arange(len(values))
    return rank


@dataclass(frozen=True)
class Packed:
    """Each row's value numbers plus one in a dense (rows, width) array padded with 0 (so a
    bincount needs no shift); `wide`: the sorted rowids holding more than `width` values
    (their row here is all 0)."""

    codes: np.ndarray
    wide: np.ndarray

    @classmethod
    def of(cls, rows: sparse.csr_matrix) -> Packed:
        lengths = np.diff(rows.indptr)
        width = int(lengths.max(initial=0))
        if width > _WIDTH:
            width = min(max(_WIDTH, int(np.quantile(lengths, 0.995))), 2 * _WIDTH)
        width = max(width, 1)
        dtype = np.uint16 if rows.shape[1] < 2**16 - 1 else np.int64
        codes = np.zeros((rows.shape[0], width), dtype=dtype)
        fits = np.repeat(lengths <= width, lengths)
        owner = np.repeat(np.arange(rows.shape[0]), lengths)
        position = np.arange(len(rows.indices)) - np.repeat(rows.indptr[:-1], lengths)
        codes[owner[fits], position[fits]] = rows.indices[fits] + 1
        return cls(codes, np.flatnonzero(lengths > width))


@dataclass(frozen=True)
class Bitmaps:
    """Per value, the rows holding it as bits (little-endian within each uint64 word;
    `words`: (values, ceil(rows / 64)))."""

    words: np.ndarray
    size: int  # rows

    @classmethod
    def of(cls, by_value: sparse.csc_matrix) -> Bitmaps:
        size, width = by_value.shape
        stride = (size + 63) // 64 * 8  # bytes per value, whole words
        bits = np.zeros((width, stride), dtype=np.uint8)
        dense = np.zeros(stride * 8, dtype=bool)
        pointer, rows = by_value.indptr, by_value.indices
        for value in range(width):
            dense[:] = False
            dense[rows[pointer[value] : pointer[value + 1]]] = True
            bits[value] = np.packbits(dense, bitorder="little")
        return cls(bits.view(np.uint64), size)

    def counts(self, mask: np.ndarray, top: Top | None = None) -> np.ndarray:
        """Per value, how many rows of `mask` (dense, `size` long) hold it: one value's
        words at a time, so the AND and popcount temporaries stay in the CPU cache (one
        (values, words) temporary was 4.6x slower for the keyword facet at 1M rows).
        With `top`, only the values that can be among its `size` most counted (or that
        it names) are counted; see Top."""
        packed = np.zeros(self.words.shape[1] * 8, dtype=np.uint8)
        bits = np.packbits(mask[: self.size], bitorder="little")
        packed[: len(bits)] = bits
        selected = packed.view(np.uint64)
        scratch = np.empty(self.words.shape[1], dtype=np.uint64)

        def count(value: int) -> int:
            np.bitwise_and(self.words[value], selected, out=scratch)
            return int(np.bitwise_count(scratch).sum())

        if top is None or top.size <= 0:
            return np.asarray([count(value) for value in range(self.words.shape[0])], np.int64)
        found = np.zeros(self.words.shape[0], dtype=np.int64)
        best: list[int] = []  # min-heap of the `top.size` largest counts so far
        nonzero = 0
        for value in top.order.tolist():
            bound = int(top.total[value])  # no value counts more than its whole-index count
            if bound == 0 or (nonzero > top.size and bound < best[0]):
                break  # neither in the top nor needed to know that values were left out
            found[value] = count(value)
            if found[value]:
                nonzero += 1
                if len(best) < top.size:
                    heapq.heappush(best, int(found[value]))
                elif found[value] > best[0]:
                    heapq.heapreplace(best, int(found[value]))
        for value in top.wanted:
            found[value] = count(value)
        return found

    def cost(self) -> int:
        """Words read by `counts`, in mat-vec entries (see _WORD_COST)."""
        return int(self.words.size * _WORD_COST)


@dataclass(frozen=True)
class Top:
    """What a page shows of a facet: its `size` most counted values (count, then value) and
    whether more were found, plus the `wanted` (selected) values' counts. Counting from
    bitmaps in decreasing order of `total` (the whole-index counts; `order`) can stop once
    `size` values counted more than any value left can (a value counts at most its total)
    and more than `size` were found: the counts shown are exact, values never counted are 0.
    The keyword facet over a third of 1M rows counts 10-53 of its 277 values this way."""

    size: int
    total: np.ndarray
    order: np.ndarray
    wanted: tuple[int, ...] = ()


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
    packed: Packed | None = None  # built on first count of a subset
    bitmaps: Bitmaps | None = None  # built on first count, for columns with few values
    bitmaps_decided: bool = False  # whether `bitmaps` was built, or found too large to build
    by_total: np.ndarray | None = None  # values by decreasing whole-index count (Top.order)

    @classmethod
    def of(
        cls, values: list[str], rows: sparse.csr_matrix, rank: np.ndarray | None = None
    ) -> FacetColumn:
        """The column of `values` (value number -> value) and its rowid x value matrix;
        `rank` (each value's position in sorted order) is computed when not given."""
        if rank is None:
            rank = _rank(values)
        index = dict(zip(values, range(len(values)), strict=True))
        return cls(values, index, rows, rows.tocsc(), rank)

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
        rank = _rank(values) if grew else self.rank
        return FacetColumn(values, index if grew else self.index, matrix, matrix.tocsc(), rank)

    def holding(self, wanted: Sequence[str], size: int) -> np.ndarray:
        """Mask of the rows holding any of `wanted` (values within one facet are OR'ed).
        When they hold more than an eighth of the rows and the column has bitmaps, the mask
        is their OR unpacked (the access filter's 'public' at 1M rows: ~1.3 ms to set each
        row's flag from the CSC, ~0.3 ms from the bits)."""
        pointer, rows = self.by_value.indptr, self.by_value.indices
        columns = [c for c in (self.index.get(value) for value in wanted) if c is not None]
        held = sum(int(pointer[c + 1] - pointer[c]) for c in columns)
        bitmaps = self.bitmap_index() if held > size // 8 else None
        if bitmaps is not None:
            words = np.bitwise_or.reduce(bitmaps.words[columns], axis=0)
            dense = np.unpackbits(words.view(np.uint8), bitorder="little").view(bool)
            if len(dense) >= size:
                return dense[:size]
            mask = np.zeros(size, dtype=bool)
            mask[: len(dense)] = dense
            return mask
        mask = np.zeros(size, dtype=bool)
        for column in columns:
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

    def counts(
        self,
        rowids: np.ndarray,
        mask: np.ndarray | None,
        top: int | None = None,
        selected: Sequence[str] = (),
    ) -> np.ndarray:
        """Per-value counts over the selected rows: `rowids` and the same set as a dense
        `mask`; mask None means every live row (cached). Rows past the column's size (newer
        than its snapshot) hold no value here. With `top` (a page's facet size) and the
        page's `selected` values, counts from bitmaps may leave 0 for values that cannot
        be shown (see Top): what `buckets(counts, selected, top)` returns is unchanged."""
        if mask is None:
            return self._total()
        if not self.rows.nnz:  # a facet no record fills: nothing to count (~1 ms at 1M)
            return np.zeros(len(self.values), dtype=np.int64)
        size = self.rows.shape[0]
        if len(rowids) and rowids[-1] >= size:
            rowids = rowids[rowids < size]
        mask = mask[:size]
        if len(rowids) > size // 2 and self._bitmaps_for(size - len(rowids)) is None:
            # Most rows selected: count the others and subtract (rows without values and
            # removed rows hold no entry, so they count nothing either way). Bitmaps cost
            # the same whatever is selected: they count the mask itself.
            others = ~mask
            return self._total() - self._count(np.flatnonzero(others), others)
        return self._count(rowids, mask, None if top is None else self._top(top, selected))

    def _top(self, size: int, selected: Sequence[str]) -> Top:
        if self.by_total is None:
            self.by_total = np.argsort(-self._total(), kind="stable")
        wanted = tuple(self.index[v] for v in selected if v in self.index)
        return Top(size, self._total(), self.by_total, wanted)

    def _total(self) -> np.ndarray:
        if self.everything is None:
            self.everything = np.bincount(self.rows.indices, minlength=len(self.values))
        return self.everything

    def _count(self, rowids: np.ndarray, mask: np.ndarray, top: Top | None = None) -> np.ndarray:
        """Per-value counts over `rowids` (sorted, all below the column's size; `mask` the
        same rows): from the packed rows when gathering them costs less than a mat-vec over
        every entry of the column, else the mat-vec (see _PACKED_COST)."""
        bitmaps = self._bitmaps_for(len(rowids))
        if bitmaps is not None:
            return bitmaps.counts(mask, top)
        packed = self._packed()
        if len(rowids) * packed.codes.shape[1] * _PACKED_COST > self.rows.nnz:
            return np.asarray(self.by_value.T @ mask.astype(np.int32))
        # np.take: half the CPU of packed.codes[rowids] for the same rows (2.3 vs 4.5 ms for
        # 300k rows of 9 at 1M).
        gathered = np.take(packed.codes, rowids, axis=0).ravel()
        counts = np.bincount(gathered, minlength=len(self.values) + 1)[1:]
        if len(packed.wide):
            # The selected wide rows, read from the dense mask: O(wide rows), where np.isin
            # sorted the selection (~1 ms of the theme count at 100k records).
            wide = packed.wide[mask[packed.wide]]
            if len(wide):
                counts = counts + self._gather(wide)
        return counts

    def _packed(self) -> Packed:
        if self.packed is None:
            self.packed = Packed.of(self.rows)
        return self.packed

    def _bitmaps_for(self, selected: int) -> Bitmaps | None:
        """The bitmaps, when counting `selected` rows from them costs less than from the
        packed rows or the mat-vec; else None."""
        bitmaps = self.bitmap_index()
        if bitmaps is None:
            return None
        slots = selected * self._packed().codes.shape[1] * _PACKED_COST
        return bitmaps if bitmaps.cost() < min(slots, self.rows.nnz) else None

    def bitmap_index(self) -> Bitmaps | None:
        """The column's bitmaps (built on first use), or None when it has too many values
        for them (see _BITMAP_VALUES_PER_ENTRY)."""
        if not self.bitmaps_decided:
            few = len(self.values) <= _BITMAP_VALUES_PER_ENTRY * self.rows.nnz / max(
                self.rows.shape[0], 1
            )
            self.bitmaps = Bitmaps.of(self.by_value) if few and self.rows.nnz else None
            self.bitmaps_decided = True
        return self.bitmaps

    def _gather(self, rowids: np.ndarray) -> np.ndarray:
        """Per-value counts over `rowids` read from the CSR slices (for the few wide rows)."""
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
