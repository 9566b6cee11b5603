"""The SQLite side of the embedded index: schema, the SQL each operation runs, and the one
place where sqlite3 errors become Moisson errors.

See indexer/backends/sqlite.py for the design; this module holds no state but the path.
"""

from __future__ import annotations

import bisect
import dataclasses
import gc
import json
import logging
import math
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.analysis import analyse, tokenise
from indexer.backends.documents import (
    ACCESS,
    access_values,
    collapse_values,
    date_values,
    facet_values,
    hit_payload,
    keyword_values,
    searchable_fields,
)
from indexer.backends.sqlite_columns import Columns, DocRow
from indexer.backends.sqlite_query import FIELDS
from indexer.backends.sqlite_snapshot import ColumnBuilder, DocTuple
from moisson.errors import BackendError, BackendUnavailable, BadQuery
from moisson.query import DATE_FIELDS
from moisson.record import Record

__all__ = ["DATE_NAMES", "Prepared", "SqliteTables", "sqlite_errors"]

logger = logging.getLogger(__name__)

SHADOW = "_new"
DATES = "_dates"  # key of the record's dates (name -> ordinal) in the docs.facets JSON
_TOKENIZER = "tokenize='unicode61 remove_diacritics 2'"
_INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS docs_id ON docs(id);
CREATE INDEX IF NOT EXISTS docs_gen ON docs(gen);
CREATE INDEX IF NOT EXISTS docs_title ON docs(title_key);
CREATE INDEX IF NOT EXISTS boxes_rowid ON boxes(rowid);
"""
_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE IF NOT EXISTS removed(rowid INTEGER PRIMARY KEY, gen INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS removed_gen ON removed(gen);
INSERT OR IGNORE INTO meta(key, value) VALUES ('generation', 0);
"""
_LOAD_CHUNK = 100_000  # docs rows applied to columns at a time (see _load)
# Rows a ColumnBuilder takes at a time: its cost does not grow with the number of chunks, and
# a chunk's facet JSON as Python objects is most of a full load's peak memory.
_BUILD_CHUNK = 20_000
DATE_NAMES = tuple(name for name in DATE_FIELDS if name != "date")  # `day` holds `date`
_DOC_COLUMNS = "gen, payload, facets, day, title_key, len_title, len_keywords, len_abstract"


def _tables(suffix: str) -> str:
    fts = "".join(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS fts_{f}{suffix} USING fts5({f}, {_TOKENIZER});\n"
        for f in FIELDS
    )
    return f"""
CREATE TABLE IF NOT EXISTS docs{suffix}(
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, gen INTEGER NOT NULL, payload TEXT NOT NULL,
    facets TEXT NOT NULL, day INTEGER NOT NULL, title_key TEXT NOT NULL,
    len_title INTEGER NOT NULL, len_keywords INTEGER NOT NULL, len_abstract INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS boxes{suffix}(
    rowid INTEGER NOT NULL, west REAL NOT NULL, south REAL NOT NULL, east REAL NOT NULL,
    north REAL NOT NULL
);
{fts}"""


@contextmanager
def sqlite_errors(doing: str, *, advanced: bool = False) -> Iterator[None]:
    """Convert sqlite3 errors raised inside the block (chained, detail kept for the logs)."""
    try:
        yield
    except sqlite3.Error as exc:
        text = str(exc)
        if advanced and isinstance(exc, sqlite3.OperationalError) and "fts5" in text:
            raise BadQuery(f"the advanced search syntax is not valid: {text}") from exc
        if isinstance(exc, sqlite3.OperationalError) and (
            "locked" in text or "unable to open" in text or "disk I/O" in text
        ):
            raise BackendUnavailable(
                f"the search index is not available while {doing}; try again", detail=text
            ) from exc
        raise BackendError(f"the search index failed while {doing}", detail=text) from exc


@dataclass(frozen=True)
class Prepared:
    """A record analysed for the index, done outside any lock or transaction."""

    id: str
    payload: str
    facets: str
    day: int
    title_key: str
    texts: tuple[str, ...]
    lengths: tuple[int, ...]
    boxes: tuple[tuple[float, float, float, float], ...]
    # The facets JSON's content, for a reindex's ColumnBuilder (not parsed back again).
    keywords: dict[str, list[str]] = dataclasses.field(default_factory=dict, compare=False)
    dates: dict[str, int] = dataclasses.field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, record: Record) -> Prepared:
        analysed = [analyse(text) for text in searchable_fields(record).values()]
        reference = record.reference_date()
        keywords = {
            **facet_values(record),
            **keyword_values(record),
            ACCESS: access_values(record),
            **collapse_values(record),
        }
        dates = {  # the reference date is the `day` column
            name: value.toordinal() for name, value in date_values(record).items() if name != "date"
        }
        return cls(
            id=record.id,
            payload=json.dumps(hit_payload(record), ensure_ascii=False),
            facets=json.dumps({**keywords, DATES: dates}, ensure_ascii=False),
            keywords=keywords,
            dates=dates,
            day=reference.toordinal() if reference else 0,
            title_key=" ".join(tokenise(record.title)),
            texts=tuple(text for text, _ in analysed),
            lengths=tuple(length for _, length in analysed),
            boxes=tuple((b.west, b.south, b.east, b.north) for b in record.bboxes),
        )


def _doc_tuple(rowid: int, day: int, lengths: tuple[int, int, int], facets: Any) -> DocTuple:
    """A docs row for the columns: the facets JSON holds the keyword values and, under
    DATES, the dates (absent in indexes built before dates were indexed: reindex)."""
    dates = facets.pop(DATES, None) or {}
    return rowid, day, lengths, facets, dates


class SqliteTables:
    def __init__(self, path: Path) -> None:
        self.path = path

    def connect(self, *, readonly: bool) -> sqlite3.Connection:
        with sqlite_errors(f"opening {self.path}"):
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            conn.execute("PRAGMA busy_timeout = 30000")
            if readonly:
                conn.execute("PRAGMA query_only = ON")
            else:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                # Fewer, larger checkpoints: each one fsyncs (see indexer/store.py).
                conn.execute("PRAGMA wal_autocheckpoint = 16384")
        return conn

    def create(self) -> sqlite3.Connection:
        """The writer connection, with the schema created if missing."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackendUnavailable(f"cannot create the folder of {self.path}") from exc
        conn = self.connect(readonly=False)
        with sqlite_errors(f"creating the index in {self.path}"):
            conn.executescript(
                f"BEGIN IMMEDIATE;{_tables('')}{_INDEXES}{_BOOKKEEPING}"
                f"INSERT OR IGNORE INTO meta(key, value) VALUES ('epoch', '{uuid.uuid4().hex}');"
                "COMMIT;"
            )
        return conn

    @staticmethod
    def meta(conn: sqlite3.Connection) -> tuple[str, int]:
        values = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        return str(values["epoch"]), int(values["generation"])

    @staticmethod
    def next_generation(conn: sqlite3.Connection) -> int:
        return int(
            conn.execute(
                "UPDATE meta SET value = value + 1 WHERE key = 'generation' RETURNING value"
            ).fetchone()[0]
        )

    @staticmethod
    def write(
        conn: sqlite3.Connection,
        items: Sequence[Prepared],
        gen: int,
        *,
        shadow: bool = False,
        builder: ColumnBuilder | None = None,
    ) -> None:
        """Upsert by id (ids in `items` are unique); the caller holds a write transaction.
        `builder` (a reindex's) gets the columns of the rows written."""
        s = SHADOW if shadow else ""
        built: list[DocTuple] = []
        texts: dict[str, list[tuple[int, str]]] = {f: [] for f in FIELDS}
        boxes: list[tuple[int, float, float, float, float]] = []
        update = ", ".join(f"{c.strip()} = ?" for c in _DOC_COLUMNS.split(","))
        # A page's statements, not a record's: its known ids in one lookup (the ids as one
        # JSON parameter), then one executemany per table. New rows get the rowids SQLite
        # would give them one INSERT at a time (max + 1, in order).
        known = dict(
            conn.execute(
                f"SELECT d.id, d.rowid FROM docs{s} AS d JOIN json_each(?) AS j ON d.id = j.value",
                (json.dumps([item.id for item in items]),),
            ).fetchall()
        )
        top = int(conn.execute(f"SELECT coalesce(max(rowid), 0) FROM docs{s}").fetchone()[0])
        inserted: list[tuple[Any, ...]] = []
        updated: list[tuple[Any, ...]] = []
        for item in items:
            values = (gen, item.payload, item.facets, item.day, item.title_key, *item.lengths)
            rowid = known.get(item.id)
            if rowid is None:
                top += 1
                rowid = top
                inserted.append((rowid, item.id, *values))
            else:
                updated.append((*values, rowid))
            for field, text in zip(FIELDS, item.texts, strict=True):
                texts[field].append((rowid, text))
            boxes += [(rowid, *box) for box in item.boxes]
            if builder is not None:
                lengths = (item.lengths[0], item.lengths[1], item.lengths[2])
                built.append((rowid, item.day, lengths, item.keywords, item.dates))
        if updated:
            conn.executemany(f"UPDATE docs{s} SET {update} WHERE rowid = ?", updated)
            old = [(row[-1],) for row in updated]
            for table in [*(f"fts_{f}{s}" for f in FIELDS), f"boxes{s}"]:
                conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", old)
            if builder is not None:
                builder.spoiled = True  # a row written twice: rebuilt from the rows
        conn.executemany(
            f"INSERT INTO docs{s}(rowid, id, {_DOC_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
            inserted,
        )
        if builder is not None:
            builder.add(built)
            builder.add_boxes(boxes)
        for field in FIELDS:
            conn.executemany(
                f"INSERT INTO fts_{field}{s}(rowid, {field}) VALUES (?, ?)", texts[field]
            )
        conn.executemany(f"INSERT INTO boxes{s} VALUES (?, ?, ?, ?, ?)", boxes)

    @staticmethod
    def remove(conn: sqlite3.Connection, ids: Sequence[str], gen: int) -> None:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT rowid FROM docs WHERE id IN ({marks})", chunk).fetchall()
            for table in ["docs", "boxes", *(f"fts_{f}" for f in FIELDS)]:
                conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", rows)
            conn.executemany(
                "INSERT OR REPLACE INTO removed(rowid, gen) VALUES (?, ?)",
                [(rowid, gen) for (rowid,) in rows],
            )

    @staticmethod
    def create_shadow(conn: sqlite3.Connection) -> None:
        SqliteTables.drop_shadow(conn)
        for statement in _tables(SHADOW).split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"CREATE UNIQUE INDEX docs{SHADOW}_id ON docs{SHADOW}(id)")
        conn.execute(f"CREATE INDEX boxes{SHADOW}_rowid ON boxes{SHADOW}(rowid)")

    @staticmethod
    def drop_shadow(conn: sqlite3.Connection) -> None:
        for table in ["docs", "boxes", *(f"fts_{f}" for f in FIELDS)]:
            conn.execute(f"DROP TABLE IF EXISTS {table}{SHADOW}")

    @staticmethod
    def swap(conn: sqlite3.Connection, epoch: str) -> int:
        """Replace the live tables by the shadow ones; readers see it as a new epoch.
        Returns the generation it commits as."""
        conn.execute(f"DROP INDEX docs{SHADOW}_id")
        conn.execute(f"DROP INDEX boxes{SHADOW}_rowid")
        for table in ["docs", "boxes", *(f"fts_{f}" for f in FIELDS)]:
            conn.execute(f"DROP TABLE {table}")
            conn.execute(f"ALTER TABLE {table}{SHADOW} RENAME TO {table}")
        for statement in _INDEXES.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("DELETE FROM removed")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'epoch'", (epoch,))
        return SqliteTables.next_generation(conn)

    @staticmethod
    def load(conn: sqlite3.Connection, base: Columns, generation: int) -> Columns:
        """`base` plus every change written after its generation, as `conn` sees them.

        The cyclic garbage collector is paused meanwhile: a full load allocates millions of
        small lists and strings that hold no cycles, and the collections it would trigger
        made loading 100k records five times slower (1.9 s of 2.5 s in json.loads)."""
        paused = gc.isenabled()
        gc.disable()
        try:
            return SqliteTables._load(conn, base, generation)
        finally:
            if paused:
                gc.enable()

    @staticmethod
    def _load(conn: sqlite3.Connection, base: Columns, generation: int) -> Columns:
        """A whole index (an empty `base`, or changes touching more than a quarter of its
        rows) is built once by a ColumnBuilder; a few changes are applied to `base` in
        chunks of _LOAD_CHUNK rows. Either way one chunk's Python objects at a time."""
        since = base.generation
        if since < 0 or SqliteTables.changed(conn, since) > max(base.documents // 4, 1000):
            return SqliteTables._build(conn, base.epoch, generation)
        boxes = conn.execute(
            "SELECT b.rowid, b.west, b.south, b.east, b.north FROM boxes AS b"
            " JOIN docs AS d ON d.rowid = b.rowid WHERE d.gen > ? ORDER BY b.rowid",
            (since,),
        ).fetchall()
        removed = [
            rowid for (rowid,) in conn.execute("SELECT rowid FROM removed WHERE gen > ?", (since,))
        ]
        columns, taken, changed = base, 0, 0
        for rows in SqliteTables._doc_rows(conn, since):
            docs = [DocRow(*row) for row in rows]
            more = len(rows) == _LOAD_CHUNK
            # A row's boxes go with its doc: both are in rowid order.
            upto = bisect.bisect_right(boxes, (docs[-1].rowid, math.inf)) if more else len(boxes)
            columns = columns.updated(
                generation, docs, boxes[taken:upto], removed if columns is base else []
            )
            taken, changed = upto, changed + len(docs)
        if columns is base and (removed or generation > since):
            columns = columns.updated(generation, [], [], removed)
        logger.debug("columns: %d changed, %d removed since %d", changed, len(removed), since)
        return columns

    @staticmethod
    def changed(conn: sqlite3.Connection, since: int) -> int:
        """How many docs rows were written after generation `since`."""
        return int(conn.execute("SELECT count(*) FROM docs WHERE gen > ?", (since,)).fetchone()[0])

    @staticmethod
    def _build(conn: sqlite3.Connection, epoch: str, generation: int) -> Columns:
        """Every row's columns, built in one pass (sqlite_snapshot.ColumnBuilder)."""
        builder = ColumnBuilder(epoch, DATE_NAMES)
        for rows in SqliteTables._doc_rows(conn, -1, _BUILD_CHUNK):
            builder.add(rows)
        boxes = conn.execute("SELECT rowid, west, south, east, north FROM boxes ORDER BY rowid")
        while found := boxes.fetchmany(_LOAD_CHUNK):
            builder.add_boxes(found)
        logger.debug("columns built from every row at generation %d", generation)
        return builder.columns(generation)

    @staticmethod
    def _doc_rows(
        conn: sqlite3.Connection, since: int, chunk: int = _LOAD_CHUNK
    ) -> Iterator[list[DocTuple]]:
        """Docs rows written after generation `since`, in rowid order, _LOAD_CHUNK at a
        time, as (rowid, day, lengths, keyword values, other dates)."""
        cursor = conn.execute(
            "SELECT rowid, day, len_title, len_keywords, len_abstract, facets FROM docs"
            " WHERE gen > ? ORDER BY rowid",
            (since,),
        )
        while rows := cursor.fetchmany(chunk):
            yield [_doc_tuple(rowid, day, (t, k, a), json.loads(facets))
                   for rowid, day, t, k, a, facets in rows]  # fmt: skip

    @staticmethod
    def title_rank(conn: sqlite3.Connection, size: int) -> np.ndarray:
        """Position of each rowid in title order (normalised title, then rowid)."""
        order = np.asarray(
            [r for (r,) in conn.execute("SELECT rowid FROM docs ORDER BY title_key, rowid")],
            dtype=np.int64,
        )
        order = order[order < size]
        rank = np.full(size, size, dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank

    @staticmethod
    def payloads(conn: sqlite3.Connection, rowids: np.ndarray) -> dict[int, str]:
        if not len(rowids):
            return {}
        marks = ",".join("?" * len(rowids))
        sql = f"SELECT rowid, payload FROM docs WHERE rowid IN ({marks})"
        return dict(conn.execute(sql, rowids.tolist()).fetchall())

    @staticmethod
    def titles_starting_with(
        conn: sqlite3.Connection, key: str, size: int, visible: np.ndarray | None = None
    ) -> list[str]:
        """Titles in title order; with `visible` (a rowid mask), only those rows'."""
        rows = conn.execute(
            "SELECT rowid, json_extract(payload, '$.title') FROM docs"
            " WHERE title_key >= ? AND title_key < ? ORDER BY title_key",
            (key, key + "\U0010ffff"),
        )
        found: list[str] = []
        for rowid, title in rows:
            if visible is None or (rowid < len(visible) and visible[rowid]):
                found.append(title)
                if len(found) >= size:
                    break
        return found
