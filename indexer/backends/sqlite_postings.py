"""Posting sets of the most frequent terms of each text field, saved in the index file next
to the column arrays, so a frequent word costs one BLOB read instead of an FTS5 posting
decode (issue 19: a search never seen before, at 1M records).

Why: a word in a third of 1M records is ~300k rowids per field; FTS5 decodes its posting
list and group_concat/np.fromstring turn it into rowids, ~40 ms for the three fields of a
bench word, the largest cost of a cold search. The set of rows holding a term only changes
when rows are written, so `save` (called by sqlite_snapshot.save, in the same transaction as
the columns, at the same generation) stores, per field, the rows of every term found in at
least `_MIN_ROWS` of them (fts5vocab gives the document counts): as a bitmap (little-endian
uint64 words) when that is smaller than sorted uint32 rowids, else as those rowids. A rare
term stays with FTS5, where it costs little.

Never stale: `Postings.match` reads the manifest and the index's (epoch, generation) through
the searching connection; postings of another build are ignored. Rows written after the save
(a harvest into a served index) are looked up through FTS5: rows at or above the save's
watermark (new rows: `rowid >= watermark`), and the few older rows rewritten or removed
since (their saved bits are masked off and, when still present, re-matched by rowid). When
more than `_MAX_TOUCHED` older rows changed, a leaf runs on FTS5 alone until the next save
(open() saves again once a tenth of the rows changed, see SqliteBackend._save_columns).

Only one-word leaves (a word as its French/English alternatives, sqlite_query.Leaf.words)
use the saved sets; phrases, prefixes and NEAR groups need positions and stay with FTS5.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from indexer.backends.sqlite_query import Leaf, LeafMatch, fts_match, parse_rowids

__all__ = ["MIN_ROWS", "Postings", "save"]

logger = logging.getLogger(__name__)

_FORMAT = 1  # bump when what is saved changes meaning
_MANIFEST = "postings"  # meta key
# Terms in fewer rows than this stay with FTS5: decoding ~4k rowids costs ~0.2 ms there.
MIN_ROWS = 4096
# Older rows rewritten or removed since the save above which the saved sets are not used.
_MAX_TOUCHED = 512
_TABLE = "CREATE TABLE IF NOT EXISTS posting_arrays(field TEXT, term TEXT, data BLOB NOT NULL,"
_TABLE += " PRIMARY KEY(field, term))"
_BITS, _ROWS = b"B", b"R"  # the first byte of a saved set: bitmap or rowids


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _encode(rowids: np.ndarray, watermark: int) -> bytes:
    """The smaller of a bitmap over [0, watermark) and the sorted uint32 rowids."""
    words = (watermark + 63) // 64
    if words * 8 < len(rowids) * 4:
        dense = np.zeros(words * 64, dtype=bool)
        dense[rowids] = True
        return _BITS + np.packbits(dense, bitorder="little").tobytes()
    return _ROWS + np.sort(rowids).astype(np.uint32).tobytes()


def save(conn: sqlite3.Connection, fields: Iterable[str], epoch: str, generation: int) -> int:
    """Replace the saved posting sets by those of the index as `conn` sees it (the caller
    holds a write transaction at `generation` of build `epoch`): every term in at least
    MIN_ROWS rows of a field. Returns bytes written."""
    min_rows = MIN_ROWS
    conn.execute(_TABLE)
    conn.execute("DELETE FROM posting_arrays")
    highest = conn.execute("SELECT max(rowid) FROM docs").fetchone()[0]
    watermark = int(highest or 0) + 1
    terms: dict[str, list[str]] = {}
    written = 0
    for field in fields:
        vocab = f"temp.postings_vocab_{field}"
        conn.execute(f"DROP TABLE IF EXISTS {vocab}")
        conn.execute(f"CREATE VIRTUAL TABLE {vocab} USING fts5vocab(main, 'fts_{field}', 'row')")
        try:
            frequent = [
                term
                for (term,) in conn.execute(
                    f"SELECT term FROM {vocab} WHERE doc >= ? ORDER BY term", (min_rows,)
                ).fetchall()
            ]
        finally:
            conn.execute(f"DROP TABLE {vocab}")
        terms[field] = []
        for term in frequent:
            (text,) = conn.execute(
                f"SELECT group_concat(rowid) FROM fts_{field} WHERE fts_{field} MATCH ?",
                (_quote(term),),
            ).fetchone()
            rowids = parse_rowids(text)
            if len(rowids) < min_rows:  # a term the tokenizer reads back differently
                continue
            data = _encode(rowids, watermark)
            conn.execute(
                "INSERT INTO posting_arrays(field, term, data) VALUES (?, ?, ?)",
                (field, term, data),
            )
            terms[field].append(term)
            written += len(data)
    conn.execute(
        "INSERT OR REPLACE INTO posting_arrays(field, term, data) VALUES ('', '', ?)",
        (json.dumps(terms, ensure_ascii=False).encode("utf-8"),),
    )
    manifest = {"format": _FORMAT, "epoch": epoch, "generation": generation}
    manifest["watermark"] = watermark
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (_MANIFEST, json.dumps(manifest))
    )
    logger.info(
        "saved the posting sets of %d frequent terms: %.0f MiB",
        sum(map(len, terms.values())),
        written / 2**20,
    )
    return written


@dataclass(frozen=True)
class _Saved:
    """What one save holds: its manifest and, per field, the terms saved."""

    manifest: str
    epoch: str
    generation: int
    watermark: int
    terms: dict[str, frozenset[str]]


@dataclass(frozen=True)
class _Delta:
    """Rows below the watermark written or removed after the save, as the reader sees it."""

    generation: int
    touched: np.ndarray  # sorted rowids (up to _MAX_TOUCHED + 1)
    usable: bool  # False when more than _MAX_TOUCHED: FTS5 alone


class Postings:
    """Leaf matches from the saved posting sets plus FTS5 (see the module docstring); one
    per backend, shared by its reading threads."""

    def __init__(self) -> None:
        self._saved: _Saved | None = None
        self._delta: _Delta | None = None
        self._lock = threading.Lock()

    def match(self, conn: sqlite3.Connection, leaf: Leaf, size: int) -> LeafMatch:
        """Rowids (below `size`) matching `leaf` in each of its fields, as `conn` sees the
        index (it holds a read transaction)."""
        mask = np.zeros(size, dtype=bool)
        if not leaf.fields:
            return LeafMatch({}, mask)
        saved, delta = self._current(conn) if leaf.words else (None, None)
        by_field: dict[str, np.ndarray] = {}
        plain: list[str] = []
        for field in leaf.fields:
            known = saved.terms.get(field, frozenset()) if saved else frozenset()
            words = [w for w in leaf.words if w in known]
            if saved is None or delta is None or not words:
                plain.append(field)
            else:
                # Dense rows: OR'ed into the mask whole (setting 300k flags one by one
                # cost ~1 ms a field at 1M rows).
                dense = self._saved_match(conn, field, leaf, words, saved, delta, size)
                mask |= dense
                by_field[field] = np.flatnonzero(dense).astype(np.int32)
        if plain:
            through_fts5 = fts_match(conn, replace(leaf, fields=tuple(plain)), size)
            by_field.update(through_fts5.by_field)
            mask |= through_fts5.mask
        return LeafMatch({field: by_field[field] for field in leaf.fields}, mask)

    def _saved_match(
        self,
        conn: sqlite3.Connection,
        field: str,
        leaf: Leaf,
        words: list[str],
        saved: _Saved,
        delta: _Delta,
        size: int,
    ) -> np.ndarray:
        """Mask (`size` long) of the rows of `field` holding any of `leaf.words`: the saved
        sets of `words`, the other alternatives and every row changed since the save
        through FTS5."""
        marks = ",".join("?" * len(words))
        blobs = conn.execute(
            f"SELECT data FROM posting_arrays WHERE field = ? AND term IN ({marks})",
            (field, *words),
        ).fetchall()
        watermark = saved.watermark
        words_of_bits = (watermark + 63) // 64
        bits = np.zeros(words_of_bits, dtype=np.uint64)
        sparse_parts: list[np.ndarray] = []
        for (data,) in blobs:
            body = memoryview(data)[1:]
            if bytes(data[:1]) == _BITS:
                bits |= np.frombuffer(body, dtype=np.uint64)
            else:
                sparse_parts.append(np.frombuffer(body, dtype=np.uint32))
        found = np.unpackbits(bits.view(np.uint8), bitorder="little").view(bool)
        if len(found) < size:  # the columns know rows written after the save
            found = np.concatenate([found, np.zeros(size - len(found), dtype=bool)])
        for part in sparse_parts:
            found[part] = True
        found[delta.touched] = False
        rest = [w for w in leaf.words if w not in words]
        extra: list[np.ndarray] = []
        if rest:  # alternatives too rare to be saved
            match = " OR ".join(_quote(w) for w in rest)
            (text,) = conn.execute(
                f"SELECT group_concat(rowid) FROM fts_{field} WHERE fts_{field} MATCH ?", (match,)
            ).fetchone()
            extra.append(parse_rowids(text))
        if delta.generation > saved.generation:
            match = " OR ".join(_quote(w) for w in words)
            (text,) = conn.execute(
                f"SELECT group_concat(rowid) FROM fts_{field} WHERE fts_{field} MATCH ?"
                " AND rowid >= ?",
                (match, watermark),
            ).fetchone()
            extra.append(parse_rowids(text))
            if len(delta.touched):
                marks = ",".join("?" * len(delta.touched))
                (text,) = conn.execute(
                    f"SELECT group_concat(rowid) FROM fts_{field} WHERE fts_{field} MATCH ?"
                    f" AND rowid IN ({marks})",
                    (match, *delta.touched.tolist()),
                ).fetchone()
                extra.append(parse_rowids(text))
        for part in extra:
            found[part[part < len(found)]] = True
        return found[:size]

    def _current(self, conn: sqlite3.Connection) -> tuple[_Saved | None, _Delta | None]:
        """The saved sets usable by `conn` and the rows changed since, or (None, None)."""
        meta = dict(
            conn.execute(
                "SELECT key, value FROM meta WHERE key IN ('epoch', 'generation', ?)",
                (_MANIFEST,),
            ).fetchall()
        )
        manifest = meta.get(_MANIFEST)
        if manifest is None:
            return None, None
        saved = self._saved
        if saved is None or saved.manifest != manifest:
            saved = self._load(conn, str(manifest))
            with self._lock:
                self._saved, self._delta = saved, None
        if saved is None or saved.epoch != str(meta.get("epoch")):
            return None, None
        generation = int(meta["generation"])
        delta = self._delta
        if delta is None or delta.generation != generation:
            delta = self._changed(conn, saved, generation)
            with self._lock:
                self._delta = delta
        return (saved, delta) if delta.usable else (None, None)

    @staticmethod
    def _load(conn: sqlite3.Connection, manifest: str) -> _Saved | None:
        try:
            found = json.loads(manifest)
            if found.get("format") != _FORMAT:
                return None
            row = conn.execute(
                "SELECT data FROM posting_arrays WHERE field = '' AND term = ''"
            ).fetchone()
            terms = json.loads(row[0]) if row else {}
            return _Saved(
                manifest,
                str(found["epoch"]),
                int(found["generation"]),
                int(found["watermark"]),
                {field: frozenset(words) for field, words in terms.items()},
            )
        except (KeyError, ValueError, TypeError, sqlite3.Error) as exc:
            logger.warning("saved posting sets unreadable (%r); searching FTS5 alone", exc)
            return None

    @staticmethod
    def _changed(conn: sqlite3.Connection, saved: _Saved, generation: int) -> _Delta:
        """Rows below the watermark written or removed after the save."""
        if generation <= saved.generation:
            return _Delta(generation, np.zeros(0, dtype=np.int64), True)
        rows = conn.execute(
            "SELECT rowid FROM docs WHERE gen > ?1 AND rowid < ?2"
            " UNION SELECT rowid FROM removed WHERE gen > ?1 AND rowid < ?2 LIMIT ?3",
            (saved.generation, saved.watermark, _MAX_TOUCHED + 1),
        ).fetchall()
        touched = np.asarray(sorted(r for (r,) in rows), dtype=np.int64)
        return _Delta(generation, touched, len(touched) <= _MAX_TOUCHED)
