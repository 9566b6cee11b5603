"""The embedded index's match cache (indexer/backends/sqlite_cache.py) and its packed facet
counts (indexer/backends/sqlite_facets.py): faster paths that must answer exactly what the
plain paths answer, and never a result older than the last write."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from indexer.backends import build_backend, sqlite_tables
from indexer.backends.sqlite import SqliteBackend
from indexer.backends.sqlite_facets import FacetColumn
from moisson.errors import ConfigError
from moisson.geometry import BBox
from moisson.record import Query, Record, Results
from tests.contract.corpus import corpus

FRANCE = BBox(west=-5.5, south=41.0, east=10.0, north=51.5)
QUERIES = [
    Query(q="eau"),
    Query(q="eau", bbox=FRANCE),
    Query(q="zones humides", filters={"format": ["CSV"]}),
    Query(q="eau", roles=["ROLE_A"]),
    Query(q="", bbox=FRANCE, roles=None),
    Query(q="foret OR eau -natura"),
]


def _answers(backend: SqliteBackend) -> list[Results]:
    return [backend.search(query) for query in QUERIES]


def _open(url: str) -> SqliteBackend:
    backend = build_backend(url)
    assert isinstance(backend, SqliteBackend)
    backend.open()
    return backend


def test_cached_searches_answer_what_uncached_ones_do(tmp_path: Path) -> None:
    cached = _open(f"sqlite:///{tmp_path / 'a.db'}")
    plain = _open(f"sqlite:///{tmp_path / 'b.db'}?cache_mb=0")
    try:
        for backend in (cached, plain):
            backend.index(corpus())
        first, again, reference = _answers(cached), _answers(cached), _answers(plain)
        cache = cached._cache[1]
        assert cache.hits > 0 and cache.used > 0
        assert plain._cache[1].used == 0
        cached.resize_cache(0)
        switched_off = _answers(cached)
        assert cached._cache[1].used == 0
    finally:
        cached.close()
        plain.close()
    assert first == again == reference == switched_off


def test_a_write_is_seen_by_the_next_search_of_a_cached_word(tmp_path: Path) -> None:
    backend = _open(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        backend.index(corpus())
        query = Query(q="eau", bbox=FRANCE)
        before = backend.search(query)
        assert backend.search(query) == before  # now answered from the cache
        added = Record.new(
            "extra", "new-water", title="Qualité de l'eau en Bretagne", bboxes=[FRANCE]
        )
        backend.index([added])
        after = backend.search(query)
        assert after.total == before.total + 1
        backend.delete([added.id])
        assert backend.search(query).total == before.total
    finally:
        backend.close()


def test_a_bad_cache_size_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cache_mb"):
        build_backend(f"sqlite:///{tmp_path / 'a.db'}?cache_mb=lots")


@pytest.mark.parametrize("seed", range(20))
def test_packed_facet_counts_equal_the_sparse_sums(seed: int) -> None:
    """Rows of 0 to 39 values (some wider than the packed width), any share selected."""
    rng = np.random.default_rng(seed)
    size, width = int(rng.integers(1, 400)), int(rng.integers(1, 60))
    lengths = rng.integers(0, int(rng.integers(1, 40)), size)
    rows = np.repeat(np.arange(size), lengths)
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (rows, rng.integers(0, width, len(rows)))),
        shape=(size, width),
    )
    matrix.data[:] = 1  # repeated draws of one value in a row count once, as in the index
    column = FacetColumn(
        [str(n) for n in range(width)], {}, matrix, matrix.tocsc(), np.arange(width)
    )
    for share in (0.0, 0.1, 0.5, 0.9, 1.0):
        mask = rng.random(size) < share
        rowids = np.flatnonzero(mask)
        expected = np.asarray(column.rows[rowids].sum(axis=0)).ravel().astype(np.int64)
        assert column.counts(rowids, mask).tolist() == expected.tolist()


def _random_column(
    rng: np.random.Generator, rows: np.ndarray, size: int, width: int
) -> FacetColumn:
    """A facet column of `size` rows, row `rows[i]` holding one random value of `width`."""
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (rows, rng.integers(0, width, len(rows)))),
        shape=(size, width),
    )
    matrix.data[:] = 1
    return FacetColumn([str(n) for n in range(width)], {}, matrix, matrix.tocsc(), np.arange(width))


@pytest.mark.parametrize("seed", range(12))
def test_bitmap_facet_counts_equal_the_sparse_sums(seed: int) -> None:
    """A column of few values (themes, protocols, years) counts from its per-value bitmaps
    whatever the share selected; sizes off the 64-row word, removed rows, empty rows."""
    rng = np.random.default_rng(100 + seed)
    size, width = int(rng.integers(1, 3000)), int(rng.integers(1, 12))
    lengths = rng.integers(0, width + 1, size)
    rows = np.repeat(np.arange(size), lengths)
    column = _random_column(rng, rows, size, width)
    bitmaps = column.bitmap_index()
    assert bitmaps is not None  # few values a row: the bits are built
    for share in (0.0, 0.2, 0.45, 0.7, 1.0):
        mask = rng.random(size) < share
        rowids = np.flatnonzero(mask)
        expected = np.asarray(column.rows[rowids].sum(axis=0)).ravel().astype(np.int64)
        assert bitmaps.counts(mask).tolist() == expected.tolist()
        assert column.counts(rowids, mask).tolist() == expected.tolist()


def test_a_column_of_many_values_gets_no_bitmaps() -> None:
    """Bits cost values x rows / 8 bytes: a column of one value a row among 200 (like the
    organisation facet) keeps its packed rows and mat-vec only."""
    size, width = 1000, 200
    matrix = sparse.csr_matrix(
        (np.ones(size, dtype=np.int32), (np.arange(size), np.arange(size) % width)),
        shape=(size, width),
    )
    column = FacetColumn(
        [str(n) for n in range(width)], {}, matrix, matrix.tocsc(), np.arange(width)
    )
    assert column.bitmap_index() is None
    mask = np.arange(size) % 3 == 0
    assert column.counts(np.flatnonzero(mask), mask).tolist() == [
        int(mask[np.arange(size) % width == v].sum()) for v in range(width)
    ]


def test_columns_loaded_in_chunks_answer_what_one_load_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """open() turns the docs table into columns a chunk at a time (sqlite_tables._load);
    rows, their boxes and removed rows must land the same whatever the chunk size."""
    url = f"sqlite:///{tmp_path / 'a.db'}"
    writer = _open(url)
    try:
        records = corpus()
        writer.index(records)
        writer.delete([records[0].id, records[3].id])
        writer.index([records[3]])  # removed, then written again
        one_load = _open(url)
        monkeypatch.setattr(sqlite_tables, "_LOAD_CHUNK", 2)
        chunked = _open(url)
        try:
            assert chunked._columns.size == one_load._columns.size
            assert _answers(chunked) == _answers(one_load)
            assert chunked.count() == len(records) - 1
        finally:
            one_load.close()
            chunked.close()
    finally:
        writer.close()


def test_a_keyword_like_column_counts_from_bitmaps() -> None:
    """Hundreds of values, several a row (the keyword facet: 277 values, 7 a row) get bitmaps
    too (at most twice the CSR's bytes), and count the same over any share of the rows."""
    rng = np.random.default_rng(7)
    size, width = 2000, 277
    rows = np.repeat(np.arange(size), 7)
    column = _random_column(rng, rows, size, width)
    assert column.bitmap_index() is not None
    for share in (0.05, 0.35, 0.8):
        mask = rng.random(size) < share
        rowids = np.flatnonzero(mask)
        expected = np.asarray(column.rows[rowids].sum(axis=0)).ravel().astype(np.int64)
        assert column.counts(rowids, mask).tolist() == expected.tolist()


def test_an_empty_column_counts_nothing() -> None:
    column = FacetColumn.of([], sparse.csr_matrix((50, 0), dtype=np.int32))
    mask = np.ones(50, dtype=bool)
    assert column.counts(np.flatnonzero(mask), mask).tolist() == []


@pytest.mark.parametrize("seed", range(8))
def test_holding_from_bitmaps_equals_the_csc(seed: int) -> None:
    """A filter on values held by many rows reads the bitmaps; by few rows, the CSC: both
    give the rows holding any wanted value, for masks longer than the column too."""
    rng = np.random.default_rng(300 + seed)
    size, width = int(rng.integers(1, 2000)), int(rng.integers(1, 6))
    values = rng.integers(0, width, size)
    matrix = sparse.csr_matrix(
        (np.ones(size, dtype=np.int32), (np.arange(size), values)), shape=(size, width)
    )
    column = FacetColumn.of([str(n) for n in range(width)], matrix)
    for wanted in ([], ["0"], ["0", str(width - 1)], ["absent", "1"]):
        for length in (size, size + 70):
            expected = np.zeros(length, dtype=bool)
            expected[:size] = np.isin(values.astype(str), wanted)
            assert column.holding(wanted, length).tolist() == expected.tolist()
    assert column.bitmap_index() is not None


@pytest.mark.parametrize("seed", range(16))
def test_counting_only_the_shown_values_gives_the_same_buckets(seed: int) -> None:
    """Counting from bitmaps for a page (its facet size and selected values) may skip the
    values that cannot be shown; the buckets and the 'values left out' flag must be those
    of the full counts, whatever the skew, share selected, size or selection."""
    rng = np.random.default_rng(500 + seed)
    size, width = int(rng.integers(50, 3000)), int(rng.integers(2, 120))
    per_row = int(rng.integers(1, 8))
    rows = np.repeat(np.arange(size), per_row)
    skewed = np.minimum(rng.zipf(1.3, len(rows)) - 1, width - 1)  # a few frequent values
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int32), (rows, skewed)), shape=(size, width)
    )
    matrix.data[:] = 1
    column = FacetColumn.of([f"v{n:03d}" for n in range(width)], matrix)
    assert column.bitmap_index() is not None
    for share in (0.3, 0.6, 0.95):
        mask = rng.random(size) < share
        rowids = np.flatnonzero(mask)
        full = np.asarray(matrix[rowids].sum(axis=0)).ravel().astype(np.int64)
        for facet_size in (1, 3, 10, width + 5):
            chosen = [f"v{int(rng.integers(0, width)):03d}", "absent"]
            partial = column.counts(rowids, mask, facet_size, chosen)
            assert column.buckets(partial, chosen, facet_size) == column.buckets(
                full, chosen, facet_size
            )
