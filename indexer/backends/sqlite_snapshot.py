"""The embedded index's columns built in one pass from docs rows, and kept as arrays in the
index file so that open() reads arrays instead of rebuilding them (issue 19, 1M records).

Why: `Columns.updated` (indexer/backends/sqlite_columns.py) rebuilds every column it is
given rows for; fed a whole index 100k rows at a time it rebuilt each column ten times at
1M records (open() 181-266 s wall, 58 s CPU, peak RSS 3.2 GiB). `ColumnBuilder` instead
turns rows into flat numpy arrays chunk by chunk (only one chunk's Python objects alive)
and builds each column once at the end. `save` then writes the columns' arrays into the
`column_arrays` table of the index file (parts of at most _PART bytes), with a manifest in
`meta` naming the epoch and generation they hold; `restore` gives them back if the manifest
matches the index's epoch and _FORMAT, and the backend applies only the rows written after
that generation (the same delta path as a live refresh). A reindex writes a new epoch, so a
snapshot can never be applied to another build of the index. The same transaction saves
the frequent terms' posting sets at the same generation (sqlite_postings.py), so a cold
search reads a common word's rows instead of decoding them from FTS5.
"""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from scipy import sparse

from indexer.backends.documents import ACCESS, EXTRA_KEYWORDS
from indexer.backends.sqlite_columns import HIDDEN, Columns, FacetColumn, saturation_of
from indexer.backends.sqlite_postings import save as save_postings
from indexer.backends.sqlite_query import FIELDS
from moisson.query import FACETS

__all__ = ["ColumnBuilder", "DocTuple", "restore", "save", "saved_generation"]

logger = logging.getLogger(__name__)

_FORMAT = 1  # bump when the arrays saved change meaning
_PART = 64 * 2**20  # bytes per BLOB row (SQLite's default limit is 1e9 bytes a value)
_MANIFEST = "columns"  # meta key
_TABLE = "CREATE TABLE IF NOT EXISTS column_arrays(name TEXT, part INTEGER, data BLOB NOT NULL,"
_TABLE += " PRIMARY KEY(name, part))"

DocTuple = tuple[int, int, tuple[int, int, int], dict[str, list[str]], dict[str, int]]


class ColumnBuilder:
    """Columns of a whole index from its rows (rowid order), one chunk of rows at a time."""

    def __init__(self, epoch: str, dates: Iterable[str]) -> None:
        self.epoch = epoch
        self.spoiled = False  # set when a row was written twice: build from the rows instead
        self._names = [*FACETS, *EXTRA_KEYWORDS, ACCESS, *HIDDEN]
        self._index: dict[str, dict[str, int]] = {name: {} for name in self._names}
        self._entries: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {
            name: [] for name in self._names
        }
        self._dates = list(dates)
        self._rowids: list[np.ndarray] = []
        self._days: list[np.ndarray] = []
        self._other_days: dict[str, list[np.ndarray]] = {name: [] for name in self._dates}
        self._lengths: list[np.ndarray] = []
        self._boxes: list[np.ndarray] = []

    def add_boxes(self, boxes: list[tuple[int, float, float, float, float]]) -> None:
        """(owner rowid, west, south, east, north) of some rows' boxes."""
        if boxes:
            self._boxes.append(np.asarray(boxes, dtype=np.float64).reshape(-1, 5).T)

    def add(self, rows: list[DocTuple]) -> None:
        """One chunk of rows in rowid order: (rowid, day, lengths, keyword values, other
        dates) each, as sqlite_tables reads them from the docs table."""
        if rows:
            self._rowids.append(np.fromiter((r[0] for r in rows), np.int64, len(rows)))
            self._days.append(np.fromiter((r[1] for r in rows), np.int32, len(rows)))
            self._lengths.append(np.asarray([r[2] for r in rows], dtype=np.int32).reshape(-1, 3))
            for name, parts in self._other_days.items():
                parts.append(np.fromiter((r[4].get(name, 0) for r in rows), np.int32, len(rows)))
        for name in self._names:
            index = self._index[name]
            owners: list[int] = []
            codes: list[int] = []
            for rowid, _, _, values, _ in rows:
                held = values.get(name)
                if held:
                    owners += [rowid] * len(held)
                    codes += [index.setdefault(v, len(index)) for v in held]
            if codes:
                self._entries[name].append(
                    (np.asarray(owners, dtype=np.int32), np.asarray(codes, dtype=np.int32))
                )

    def columns(self, generation: int) -> Columns:
        """The columns of every row added, at `generation`."""
        rowids = _joined(self._rowids, np.int64)
        size = max(int(rowids.max(initial=-1)) + 1, 64)  # as Columns.empty().updated() sizes
        alive = np.zeros(size, dtype=bool)
        alive[rowids] = True
        day = np.zeros(size, dtype=np.int32)
        day[rowids] = _joined(self._days, np.int32)
        dates = {}
        for name, parts in self._other_days.items():
            dates[name] = np.zeros(size, dtype=np.int32)
            dates[name][rowids] = _joined(parts, np.int32)
        lengths = np.zeros((3, size), dtype=np.int32)
        if len(rowids):
            lengths[:, rowids] = np.concatenate(self._lengths).T
        facets = {name: self._facet(name, size) for name in self._names}
        boxes = np.concatenate(self._boxes, axis=1) if self._boxes else np.zeros((5, 0))
        return Columns(
            epoch=self.epoch,
            generation=generation,
            alive=alive,
            day=day,
            dates=dates,
            lengths=lengths,
            saturation=saturation_of(lengths, alive),
            boxes=boxes,
            facets=facets,
            documents=int(np.count_nonzero(alive)),
        )

    def _facet(self, name: str, size: int) -> FacetColumn:
        entries = self._entries.pop(name)
        values = list(self._index.pop(name))
        rows = np.concatenate([e[0] for e in entries]) if entries else np.zeros(0, np.int32)
        cols = np.concatenate([e[1] for e in entries]) if entries else np.zeros(0, np.int32)
        matrix = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(size, len(values))
        )
        return FacetColumn.of(values, matrix)


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


# -- the arrays in the index file -------------------------------------------------------------


def _arrays(columns: Columns) -> Iterator[tuple[str, np.ndarray | list[str]]]:
    yield "alive", columns.alive
    yield "day", columns.day
    for name, found in columns.dates.items():
        yield f"date:{name}", found
    yield "lengths", columns.lengths
    yield "boxes", columns.boxes
    for name, column in columns.facets.items():
        yield f"facet:{name}:values", column.values
        yield f"facet:{name}:indptr", column.rows.indptr
        yield f"facet:{name}:indices", column.rows.indices
        if not (column.rows.data == 1).all():
            yield f"facet:{name}:data", column.rows.data
        yield f"facet:{name}:rank", column.rank


def _encode(value: np.ndarray | list[str]) -> bytes:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(value), allow_pickle=False)
    return buffer.getvalue()


def save(conn: sqlite3.Connection, columns: Columns) -> int:
    """Replace the saved columns by `columns` (the caller holds a write transaction; the
    snapshot must be what a connection saw at `columns.generation`). Returns bytes written."""
    conn.execute(_TABLE)
    conn.execute("DELETE FROM column_arrays")
    names: list[str] = []
    written = 0
    for name, value in _arrays(columns):
        data = _encode(value)
        conn.executemany(
            "INSERT INTO column_arrays(name, part, data) VALUES (?, ?, ?)",
            (
                (name, part, data[start : start + _PART])
                for part, start in enumerate(range(0, max(len(data), 1), _PART))
            ),
        )
        names.append(name)
        written += len(data)
    manifest = {
        "format": _FORMAT,
        "epoch": columns.epoch,
        "generation": columns.generation,
        "names": names,
    }
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (_MANIFEST, json.dumps(manifest))
    )
    # The frequent terms' posting sets, at the same generation (sqlite_postings.py).
    return written + save_postings(conn, FIELDS, columns.epoch, columns.generation)


def _manifest(conn: sqlite3.Connection, epoch: str) -> dict[str, Any] | None:
    found = conn.execute("SELECT value FROM meta WHERE key = ?", (_MANIFEST,)).fetchone()
    if found is None:
        return None
    manifest: dict[str, Any] = json.loads(found[0])
    if manifest.get("format") != _FORMAT or manifest.get("epoch") != epoch:
        return None
    return manifest


def saved_generation(conn: sqlite3.Connection, epoch: str) -> int | None:
    """The generation of the saved columns of build `epoch`; None when none are usable."""
    manifest = _manifest(conn, epoch)
    return None if manifest is None else int(manifest["generation"])


def restore(conn: sqlite3.Connection, epoch: str) -> Columns | None:
    """The saved columns if they belong to build `epoch` of the index and this format;
    None otherwise (no snapshot, an older build or format, or damaged arrays, logged: the
    caller builds from the rows, which stay the truth)."""
    manifest = _manifest(conn, epoch)
    if manifest is None:
        return None
    try:
        return _restore(conn, manifest, epoch)
    except (KeyError, ValueError, TypeError) as exc:
        logger.warning("saved index columns unreadable (%r); building them from the rows", exc)
        return None


def _restore(conn: sqlite3.Connection, manifest: dict[str, Any], epoch: str) -> Columns:
    loaded: dict[str, Any] = {}
    for name in manifest["names"]:
        parts = conn.execute(
            "SELECT data FROM column_arrays WHERE name = ? ORDER BY part", (name,)
        ).fetchall()
        data = b"".join(part for (part,) in parts)
        if name.endswith(":values"):
            loaded[name] = json.loads(data)
        else:
            loaded[name] = np.load(io.BytesIO(data), allow_pickle=False)
        del parts, data
    alive, lengths = loaded["alive"], loaded["lengths"]
    size = len(alive)
    facets: dict[str, FacetColumn] = {}
    for name in Columns.empty("").facets:
        values = loaded[f"facet:{name}:values"]
        indices = loaded[f"facet:{name}:indices"]
        data = loaded.get(f"facet:{name}:data", np.ones(len(indices), dtype=np.int32))
        matrix = sparse.csr_matrix(
            (data, indices, loaded[f"facet:{name}:indptr"]), shape=(size, len(values))
        )
        facets[name] = FacetColumn.of(values, matrix, loaded[f"facet:{name}:rank"])
    dates = {
        name.split(":", 1)[1]: value for name, value in loaded.items() if name.startswith("date:")
    }
    return Columns(
        epoch=epoch,
        generation=int(manifest["generation"]),
        alive=alive,
        day=loaded["day"],
        dates=dates,
        lengths=lengths,
        saturation=saturation_of(lengths, alive),
        boxes=loaded["boxes"],
        facets=facets,
        documents=int(np.count_nonzero(alive)),
    )
