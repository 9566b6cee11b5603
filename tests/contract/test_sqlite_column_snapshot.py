"""The embedded index's columns built in one pass and saved in the index file
(indexer/backends/sqlite_snapshot.py): they must equal the columns the row-by-row path builds,
and a backend opened on saved columns (plus the writes that followed) must answer exactly
what one rebuilding them from the rows answers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from indexer.backends import sqlite as sqlite_backend
from indexer.backends.sqlite import SqliteBackend
from indexer.backends.sqlite_columns import Columns, DocRow
from indexer.backends.sqlite_snapshot import restore, save, saved_generation
from indexer.backends.sqlite_tables import SqliteTables
from moisson.geometry import BBox
from moisson.record import Query, Record, Results
from tests.contract.corpus import corpus
from tests.contract.sqlite_answers import answers

FRANCE = BBox(west=-5.5, south=41.0, east=10.0, north=51.5)
QUERIES = [
    Query(q="eau"),
    Query(q="eau", bbox=FRANCE),
    Query(q="zones humides", filters={"format": ["CSV"]}),
    Query(q="eau", roles=["ROLE_A"]),
    Query(q="", bbox=FRANCE, roles=None),
    Query(q="foret OR eau -natura", sort="title"),
    Query(q="", sort="date", roles=None, collapse=True),
    Query(q="", roles=None),
]


def assert_same_columns(a: Columns, b: Columns) -> None:
    assert (a.epoch, a.generation, a.documents, a.size) == (
        b.epoch,
        b.generation,
        b.documents,
        b.size,
    )
    for name in ("alive", "day", "lengths"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.dates.keys() == b.dates.keys()
    for name in a.dates:
        assert np.array_equal(a.dates[name], b.dates[name]), name
    for name in a.saturation:
        assert np.array_equal(a.saturation[name], b.saturation[name]), name
    order_a, order_b = np.lexsort(a.boxes[::-1]), np.lexsort(b.boxes[::-1])
    assert np.array_equal(a.boxes[:, order_a], b.boxes[:, order_b])
    assert a.facets.keys() == b.facets.keys()
    for name, column in a.facets.items():
        other = b.facets[name]
        assert column.values == other.values, name
        assert column.index == other.index, name
        assert np.array_equal(column.rank, other.rank), name
        assert column.rows.shape == other.rows.shape, name
        assert (column.rows != other.rows).nnz == 0, name
        assert (column.by_value != other.by_value).nnz == 0, name


def _rows_one_by_one(conn: sqlite3.Connection, epoch: str, generation: int) -> Columns:
    """The columns as the row-by-row path (Columns.updated) builds them from every row."""
    docs = [DocRow(*row) for rows in SqliteTables._doc_rows(conn, -1) for row in rows]
    boxes = conn.execute("SELECT rowid, west, south, east, north FROM boxes ORDER BY rowid")
    return Columns.empty(epoch).updated(generation, docs, boxes.fetchall(), [])


def _answers(path: Path) -> list[Results]:
    return answers(path, QUERIES)


def _forget_saved_columns(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM meta WHERE key = 'columns'")


def _meta(path: Path) -> tuple[str, int]:
    with sqlite3.connect(path) as conn:
        return SqliteTables.meta(conn)


def _saved(path: Path) -> int | None:
    with sqlite3.connect(path) as conn:
        return saved_generation(conn, SqliteTables.meta(conn)[0])


def _build(path: Path, records: list[Record]) -> None:
    backend = SqliteBackend(path)
    backend.open()
    try:
        backend.index(records[: len(records) // 2])  # two generations, rows not all at once
        backend.index(records[len(records) // 2 :])
        backend.delete([records[0].id])
    finally:
        backend.close()


def test_one_pass_build_equals_the_row_by_row_columns(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    _build(path, corpus())
    with sqlite3.connect(path) as conn:
        epoch, generation = SqliteTables.meta(conn)
        built = SqliteTables._build(conn, epoch, generation)
        one_by_one = _rows_one_by_one(conn, epoch, generation)
    assert built.documents == len(corpus()) - 1
    assert_same_columns(built, one_by_one)


def test_saved_columns_come_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    _build(path, corpus())
    with sqlite3.connect(path, isolation_level=None) as conn:
        epoch, generation = SqliteTables.meta(conn)
        built = SqliteTables._build(conn, epoch, generation)
        assert saved_generation(conn, epoch) is None  # opened empty: nothing saved yet
        assert save(conn, built) > 0
        assert saved_generation(conn, epoch) == generation
        restored = restore(conn, epoch)
        assert restore(conn, "another build") is None
    assert restored is not None
    assert_same_columns(restored, built)


def test_a_run_saves_its_columns_when_it_ends(tmp_path: Path) -> None:
    """A harvest writes rows only; the end of its run (deferred_refresh) saves the columns,
    so the next open() reads arrays instead of rebuilding from every row. A failed run
    saves nothing."""
    path = tmp_path / "index.db"
    records = corpus()
    backend = SqliteBackend(path)
    backend.open()
    try:
        with pytest.raises(RuntimeError), backend.deferred_refresh():
            backend.index(records[:3])
            raise RuntimeError("the source failed")
        assert _saved(path) is None
        with backend.deferred_refresh():
            backend.index(records)
            assert _saved(path) is None  # not before the run ends
        assert _saved(path) == _meta(path)[1]
    finally:
        backend.close()
    with sqlite3.connect(path) as conn:
        epoch, generation = SqliteTables.meta(conn)
        restored = restore(conn, epoch)
        assert restored is not None
        assert_same_columns(restored, SqliteTables._build(conn, epoch, generation))


def test_reindex_commits_its_columns_and_open_restores_them(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    records = corpus()
    backend = SqliteBackend(path)
    backend.open()
    try:
        backend.index(records[:3])
        assert backend.reindex(records) == len(records)
        built = backend._columns
    finally:
        backend.close()
    assert _saved(path) == _meta(path)[1] == built.generation
    with sqlite3.connect(path) as conn:
        from_rows = SqliteTables._build(conn, *SqliteTables.meta(conn))
    assert_same_columns(built, from_rows)  # what reindex built while writing == the rows

    restored = _answers(path)
    _forget_saved_columns(path)
    assert restored == _answers(path)
    assert _saved(path) == _meta(path)[1]  # that open() saved them again


def test_writes_after_the_saved_columns_are_applied_on_open(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    records = corpus()
    backend = SqliteBackend(path)
    backend.open()
    try:
        backend.reindex(records[:-1])
        saved = _saved(path)
        backend.index(records[-1:])  # at most a tenth of the rows: not saved again
        backend.delete([records[1].id, records[2].id])
    finally:
        backend.close()
    assert saved is not None and _saved(path) == saved < _meta(path)[1]
    on_saved = _answers(path)
    assert _saved(path) == saved
    _forget_saved_columns(path)
    from_rows = _answers(path)
    assert on_saved == from_rows
    assert on_saved[-1].total == len(records) - 2


def test_reindex_writing_a_record_twice_builds_from_the_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_backend, "_BATCH", 3)  # the copy lands in another batch
    path = tmp_path / "index.db"
    records = corpus()
    changed = records[0].model_copy(update={"title": "Une autre forêt"})
    backend = SqliteBackend(path)
    backend.open()
    try:
        assert backend.reindex([*records, changed]) == len(records)
        built = backend._columns
        hits = backend.search(Query(q="autre foret")).hits
    finally:
        backend.close()
    assert [hit.id for hit in hits] == [records[0].id]
    with sqlite3.connect(path) as conn:
        assert_same_columns(built, SqliteTables._build(conn, *SqliteTables.meta(conn)))


def test_damaged_saved_columns_are_rebuilt_from_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    _build(path, corpus())
    expected = _answers(path)
    with sqlite3.connect(path) as conn:
        assert saved_generation(conn, SqliteTables.meta(conn)[0]) is not None
        conn.execute("UPDATE column_arrays SET data = x'00' WHERE name = 'day'")
    assert _answers(path) == expected


@pytest.mark.parametrize("seed", range(6))
def test_bbox_mask_equals_a_box_by_box_check(seed: int) -> None:
    """Rows with no box, one, or several (antimeridian splits): the rowid-indexed arrays of
    single boxes plus the list of the others find exactly the rows with an intersecting box,
    touching edges included."""
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 500))
    owners = np.sort(rng.choice(size, int(rng.integers(0, size + 1)), replace=True))
    west = rng.integers(-180, 170, len(owners)).astype(np.float64)
    south = rng.integers(-90, 80, len(owners)).astype(np.float64)
    boxes = np.vstack([owners, west, south, west + rng.integers(0, 10, len(owners)), south + 5])
    columns = Columns.empty("e").updated(0, [], [], [])
    columns.boxes, columns.alive = boxes, np.ones(size, dtype=bool)
    for bbox in (
        FRANCE,
        BBox(west=-180, south=-90, east=180, north=90),
        BBox(west=0, south=0, east=0, north=0),
    ):
        expected = np.zeros(size, dtype=bool)
        for owner, w, s, e, n in boxes.T:
            if w <= bbox.east and e >= bbox.west and s <= bbox.north and n >= bbox.south:
                expected[int(owner)] = True
        assert columns.bbox_mask(bbox).tolist() == expected.tolist()
