"""In-memory columns of the embedded index: everything search filters, counts and sorts on.

Facets counted by SQL GROUP BY took 65-80% of a search at 100k records (37 ms median); the
same counts over in-memory columns take a few ms. So the per-record values that filters,
facets and sorting need live here as numpy arrays indexed by SQLite rowid:

- `alive`, `day` (reference date as a proleptic ordinal, 0 = none), `dates` (the other
  dates of moisson.query.DATE_FIELDS, the same way), field lengths -> BM25 length
  saturation per field;
- boxes as five parallel arrays (owner rowid, west, south, east, north): a record may have
  several (antimeridian splits), and matches when any box intersects;
- per facet and per other keyword field (ids, identifiers, DOIs, language...), a value
  vocabulary and a rowid x value 0/1 matrix held both as CSR (counting the values of a set
  of rows, sort keys) and CSC (the rows holding a value, for filters).

`condition_mask` compiles the non-text leaves of the neutral query (moisson/query.py) into
masks; `sort_keys` the sort keys.

A `Columns` is an immutable snapshot: `updated()` returns a new one, so a search that started
on the old snapshot finishes on consistent arrays while another thread refreshes. The
backend (indexer/backends/sqlite.py) feeds it the rows changed since the snapshot's
generation, whichever process wrote them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from indexer.backends.documents import (
    ACCESS,
    CLUSTER_SOURCE,
    EXTRA_KEYWORDS,
    OUTRANKED,
    facet_field,
)
from indexer.backends.sqlite_facets import FacetColumn
from indexer.backends.sqlite_query import FIELDS
from moisson.errors import BadQuery
from moisson.query import (
    DATE_FIELDS,
    FACETS,
    Exists,
    FieldFilter,
    Node,
    Range,
    Sort,
    Spatial,
    date_field,
)
from moisson.record import BBox

# FacetColumn: sqlite_facets.py
__all__ = ["HIDDEN", "Columns", "DocRow", "FacetColumn", "page", "saturation_of"]


HIDDEN = (OUTRANKED, CLUSTER_SOURCE)  # the search collapse's facets (documents.py)
_DATES = tuple(name for name in DATE_FIELDS if name != "date")
_K1 = 1.2
_B = 0.75


@dataclass(frozen=True)
class DocRow:
    """What the columns need of one record, as stored in the docs table."""

    rowid: int
    day: int
    lengths: tuple[int, int, int]  # title, keywords, abstract, in words
    facets: dict[str, list[str]]
    dates: dict[str, int] = field(default_factory=dict)  # DATE_FIELDS name -> ordinal


def _grow(array: np.ndarray, size: int) -> np.ndarray:
    """A copy of `array` extended with zeros to `size` along its last axis."""
    grown = np.zeros((*array.shape[:-1], size), dtype=array.dtype)
    grown[..., : array.shape[-1]] = array
    return grown


@dataclass
class Columns:
    epoch: str  # which build of the index (changes on reindex)
    generation: int  # last write applied
    alive: np.ndarray
    day: np.ndarray
    dates: dict[str, np.ndarray]  # DATE_FIELDS but `date` (that is `day`) -> ordinals
    lengths: np.ndarray  # (3, size) words per field
    saturation: dict[str, np.ndarray]
    boxes: np.ndarray  # (5, n): owner rowid, west, south, east, north
    facets: dict[str, FacetColumn]
    documents: int
    title_rank: np.ndarray | None = field(default=None)  # loaded on first sort by title
    by_row: _RowBoxes | None = field(default=None)  # built on first bbox filter

    @property
    def size(self) -> int:
        return len(self.alive)

    @classmethod
    def empty(cls, epoch: str) -> Columns:
        return cls(
            epoch=epoch,
            generation=-1,
            alive=np.zeros(0, dtype=bool),
            day=np.zeros(0, dtype=np.int32),
            dates={name: np.zeros(0, dtype=np.int32) for name in _DATES},
            lengths=np.zeros((3, 0), dtype=np.int32),
            saturation={f: np.zeros(0, dtype=np.float32) for f in FIELDS},
            boxes=np.zeros((5, 0)),
            facets={
                name: FacetColumn.empty() for name in (*FACETS, *EXTRA_KEYWORDS, ACCESS, *HIDDEN)
            },
            documents=0,
        )

    def updated(
        self,
        generation: int,
        docs: Sequence[DocRow],
        boxes: Sequence[tuple[int, float, float, float, float]],
        removed: Sequence[int],
    ) -> Columns:
        """A new snapshot with `removed` rowids gone and `docs` (with their `boxes`) upserted."""
        changed = np.asarray([d.rowid for d in docs], dtype=np.int64)
        gone = np.asarray(removed, dtype=np.int64)
        highest = int(max(changed.max(initial=-1), gone.max(initial=-1)))
        size = self.size if highest < self.size else max(highest + 1, self.size * 5 // 4 + 64)
        touched = np.zeros(size, dtype=bool)
        touched[gone] = touched[changed] = True
        alive = _grow(self.alive, size)
        alive[gone] = False
        alive[changed] = True
        day = _grow(self.day, size)
        day[changed] = [d.day for d in docs]
        dates = {}
        for name, old in self.dates.items():
            dates[name] = _grow(old, size)
            dates[name][changed] = [d.dates.get(name, 0) for d in docs]
        lengths = _grow(self.lengths, size)
        if len(docs):
            lengths[:, changed] = np.asarray([d.lengths for d in docs], dtype=np.int32).T
        kept = self.boxes[:, ~touched[self.boxes[0].astype(np.int64)]]
        added = np.asarray(boxes, dtype=np.float64).reshape(-1, 5).T
        # One pass over the docs for every column (a pass per column cost 17 x 100k checks
        # on a full load once the neutral query's keyword fields were added).
        added_values: dict[str, list[tuple[int, list[str]]]] = {n: [] for n in self.facets}
        for doc in docs:
            for name, found in doc.facets.items():
                if found and name in added_values:
                    added_values[name].append((doc.rowid, found))
        facets = {
            name: column.updated(touched, added_values[name], size)
            for name, column in self.facets.items()
        }
        return Columns(
            epoch=self.epoch,
            generation=generation,
            alive=alive,
            day=day,
            dates=dates,
            lengths=lengths,
            saturation=saturation_of(lengths, alive),
            boxes=np.concatenate([kept, added], axis=1),
            facets=facets,
            documents=int(np.count_nonzero(alive)),
        )

    def bbox_mask(self, bbox: BBox) -> np.ndarray:
        """Rows with a box intersecting `bbox` (touching edges count)."""
        if self.by_row is None:
            self.by_row = _RowBoxes.of(self.boxes, self.size)
        west, south, east, north = self.by_row.single
        mask = west <= bbox.east  # NaN (no box, or several) compares False
        mask &= east >= bbox.west
        mask &= south <= bbox.north
        mask &= north >= bbox.south
        owner, west, south, east, north = self.by_row.several
        hit = (west <= bbox.east) & (east >= bbox.west) & (south <= bbox.north)
        hit &= north >= bbox.south
        mask[owner[hit].astype(np.int64)] = True
        return np.asarray(mask)

    def within_mask(self, bbox: BBox) -> np.ndarray:
        """Rows having boxes, every one of them inside `bbox`."""
        owner, west, south, east, north = self.boxes
        inside = (west >= bbox.west) & (east <= bbox.east) & (south >= bbox.south)
        inside &= north <= bbox.north
        rows = owner.astype(np.int64)
        boxed = np.zeros(self.size, dtype=bool)
        boxed[rows] = True
        outside = np.zeros(self.size, dtype=bool)
        outside[rows[~inside]] = True
        return boxed & ~outside

    def day_of(self, name: str) -> np.ndarray:
        """Ordinals of date field `name` per row (0: none)."""
        name = date_field(name)
        return self.day if name == "date" else self.dates[name]

    def date_mask(self, start: date | None, end: date | None, name: str = "date") -> np.ndarray:
        """Rows whose date `name` lies in [start, end]; rows without it never match."""
        day = self.day_of(name)
        mask = day > 0
        if start is not None:
            mask &= day >= start.toordinal()
        if end is not None:
            mask &= day <= end.toordinal()
        return np.asarray(mask)

    def keyword(self, name: str, collapse: bool) -> FacetColumn:
        """The column of keyword field `name` (facet or EXTRA_KEYWORDS)."""
        column = self.facets.get(facet_field(name, collapse))
        if column is None:
            raise BadQuery(f"{name!r} is not a keyword field of the index")
        return column

    def condition_mask(self, node: Node, collapse: bool) -> np.ndarray:
        """Mask of a non-text leaf of the neutral query (FieldFilter, Range, Spatial,
        Exists); see moisson/query.py for what each means."""
        if isinstance(node, FieldFilter):
            column = self.keyword(node.field, collapse)
            if node.prefix:
                return column.starting(node.values, self.size)
            return column.holding(node.values, self.size)
        if isinstance(node, Range):
            return self.date_mask(node.gte, node.lte, node.field)
        if isinstance(node, Spatial):
            if node.relation == "within":
                return self.within_mask(node.bbox)
            return self.bbox_mask(node.bbox)
        if isinstance(node, Exists):
            if date_field(node.field) in DATE_FIELDS:
                return np.asarray(self.day_of(node.field) > 0)
            return self.keyword(node.field, collapse).present()
        raise BadQuery(f"the embedded index cannot run a {type(node).__name__} condition")

    def sort_keys(
        self, ordering: Sequence[Sort], rowids: np.ndarray, scores: np.ndarray | None
    ) -> np.ndarray:
        """Ascending keys for `rowids` realising `ordering` (see moisson.query: missing values
        last in either direction). Relevance without a text query sorts by date, newest
        first. Several sort fields combine into one rank (ties: rowid)."""
        keys = [self._key(sort, rowids, scores) for sort in ordering]
        if len(keys) == 1:
            return keys[0]
        order = np.lexsort((rowids, *reversed(keys)))
        rank = np.empty(len(rowids), dtype=np.float64)
        rank[order] = np.arange(len(rowids))
        return rank

    def _key(self, sort: Sort, rowids: np.ndarray, scores: np.ndarray | None) -> np.ndarray:
        descending = sort.direction == "desc"
        if sort.field == "relevance":
            if scores is not None:
                return np.asarray(-scores if descending else scores, dtype=np.float64)
            sort = Sort(field="date", direction="desc")
            descending = True
        if sort.field == "title" and self.title_rank is not None:
            rank = np.asarray(self.title_rank[rowids], dtype=np.float64)
            return -rank if descending else rank
        if sort.field in DATE_FIELDS or sort.field == "revised":
            day = self.day_of(sort.field)[rowids].astype(np.float64)
            return np.asarray(np.where(day > 0, -day if descending else day, np.inf))
        return np.asarray(self.keyword(sort.field, False).sort_key(sort.direction)[rowids])


@dataclass(frozen=True)
class _RowBoxes:
    """The boxes of rows holding exactly one, as four arrays indexed by rowid (NaN for the
    other rows), and the boxes of rows holding several, as `Columns.boxes` holds them.

    Why: at 1M rows, setting the mask bit of every matching box's owner (a gather and a
    scatter of ~780k rowids for a bbox of France) cost 5.5 ms of a 8 ms bbox filter; the
    comparisons on rowid-indexed arrays give the mask itself (2.7 ms)."""

    single: np.ndarray  # (4, size): west, south, east, north
    several: np.ndarray  # (5, n): owner, west, south, east, north

    @classmethod
    def of(cls, boxes: np.ndarray, size: int) -> _RowBoxes:
        owner = boxes[0].astype(np.int64)
        alone = np.bincount(owner, minlength=size)[owner] == 1
        rows = owner[alone]
        single = np.full((4, size), np.nan)
        for side in range(4):
            single[side, rows] = boxes[side + 1][alone]
        return cls(single, boxes[:, ~alone])


def saturation_of(lengths: np.ndarray, alive: np.ndarray) -> dict[str, np.ndarray]:
    """BM25's term-frequency saturation with tf = 1, per field and row:
    (k1 + 1) / (1 + k1 * (1 - b + b * length / average length))."""
    result: dict[str, np.ndarray] = {}
    for position, name in enumerate(FIELDS):
        row = lengths[position].astype(np.float32)
        average = float(row[alive].mean()) if alive.any() else 1.0
        norm = 1 - _B + _B * row / max(average, 1.0)
        result[name] = ((_K1 + 1) / (1 + _K1 * norm)).astype(np.float32)
    return result


def page(keys: np.ndarray, rowids: np.ndarray, start: int, stop: int) -> np.ndarray:
    """rowids[start:stop] in order of (key, rowid), without sorting everything: partition to
    the stop-th key, then sort only the rows at or below it (ties included, so pages are
    stable and disjoint)."""
    if stop <= 0 or start >= len(keys):
        return rowids[:0]
    if stop < len(keys):
        threshold = np.partition(keys, stop - 1)[stop - 1]
        chosen = np.flatnonzero(keys <= threshold)
    else:
        chosen = np.arange(len(keys))
    ordered = chosen[np.lexsort((rowids[chosen], keys[chosen]))]
    return rowids[ordered[start:stop]]
