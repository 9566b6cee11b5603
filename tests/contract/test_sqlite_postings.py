"""The frequent terms' posting sets saved in the embedded index file
(indexer/backends/sqlite_postings.py): a search answered from them, and from them plus the
writes made after the save, must answer exactly what FTS5 alone answers; sets of another
build, or too many changed rows since the save, fall back to FTS5.

The contract corpus is small, so the tests save the set of every term in 1 row or more
(MIN_ROWS = 1): each term then takes the bitmap or the rowid form by its size.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from indexer.backends import sqlite_postings
from indexer.backends.sqlite import SqliteBackend
from indexer.backends.sqlite_query import FIELDS, fts_leaf, fts_match
from indexer.backends.sqlite_tables import SqliteTables
from moisson.geometry import BBox
from moisson.query import Term
from moisson.record import Query, Record, Results
from tests.contract.corpus import corpus
from tests.contract.sqlite_answers import answers

FRANCE = BBox(west=-5.2, south=41.3, east=9.6, north=51.1)
QUERIES = [
    Query(q="eau"),
    Query(q="eau", bbox=FRANCE, roles=None),
    Query(q="zones humides"),
    Query(q='"zones humides"'),
    Query(q="foret OR eau -natura", sort="title"),
    Query(q="forets wetlands", roles=None),
    Query(q="title:eau", advanced=True),
    Query(q="keywords:eau", advanced=True),
    Query(q="inond*", advanced=True),
    Query(q="eau", filters={"format": ["CSV"]}),
    Query(q="camargue", page=2, size=1),
    Query(q="", roles=None),
]


@pytest.fixture(autouse=True)
def _every_term_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_postings, "MIN_ROWS", 1)


def _answers(path: Path) -> list[Results]:
    return answers(path, QUERIES)


def _fts5_answers(path: Path) -> list[Results]:
    """The answers with the saved sets switched off (their manifest removed), then back."""
    with sqlite3.connect(path) as conn:
        (manifest,) = conn.execute("SELECT value FROM meta WHERE key = 'postings'").fetchone()
        conn.execute("DELETE FROM meta WHERE key = 'postings'")
    try:
        return _answers(path)
    finally:
        with sqlite3.connect(path) as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES ('postings', ?)", (manifest,))


def _saved_terms(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as conn:
        (data,) = conn.execute(
            "SELECT data FROM posting_arrays WHERE field = '' AND term = ''"
        ).fetchone()
    terms: dict[str, list[str]] = json.loads(data)
    return terms


def _reindexed(path: Path, records: list[Record]) -> None:
    backend = SqliteBackend(path)
    backend.open()
    try:
        backend.reindex(records)
    finally:
        backend.close()


def test_reindex_saves_sets_in_both_forms_and_they_answer_like_fts5(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    _reindexed(path, corpus())
    terms = _saved_terms(path)
    assert set(terms) == set(FIELDS)
    assert "eau" in terms["title"]
    with sqlite3.connect(path) as conn:
        kinds = {kind for (kind,) in conn.execute("SELECT substr(data, 1, 1) FROM posting_arrays")}
    assert {b"B", b"R"} <= kinds
    answers = _answers(path)
    assert answers[0].total > 0
    assert answers == _fts5_answers(path)


def test_the_saved_sets_are_what_a_search_reads(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    _reindexed(path, corpus())
    before = _answers(path)[6]  # title:eau
    assert before.total > 0
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE posting_arrays SET data = x'52' WHERE field = 'title' AND term = 'eau'"
        )
    assert _answers(path)[6].total == 0  # an empty saved set: nothing found any more


WORDS = ["eau", "forets", "wetlands", "zones", "camargue", "natura", "introuvable"]


def _compare_matches(path: Path, *, saved_used: bool) -> None:
    """Postings.match equals FTS5 alone (sqlite_query.fts_match) for WORDS, field by field;
    `saved_used`: whether the saved sets must be usable for that connection."""
    conn = SqliteTables(path).connect(readonly=True)
    try:
        conn.execute("BEGIN")
        postings = sqlite_postings.Postings()
        assert (postings._current(conn)[0] is not None) == saved_used
        size = 256  # more rowids than the corpus holds
        for word in WORDS:
            leaf = fts_leaf(Term(text=word))
            assert leaf.words
            saved = postings.match(conn, leaf, size)
            plain = fts_match(conn, leaf, size)
            assert saved.by_field.keys() == plain.by_field.keys()
            for field in FIELDS:
                assert np.array_equal(saved.by_field[field], plain.by_field[field]), word
            assert np.array_equal(saved.mask, plain.mask)
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_match_equals_fts5_per_field(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    _reindexed(path, corpus())
    _compare_matches(path, saved_used=True)


def test_writes_after_the_save_are_matched_through_fts5(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    records = corpus()
    _reindexed(path, records[:-2])
    eau = next(r for r in records[2:-2] if "eau" in r.title.lower())
    backend = SqliteBackend(path)
    backend.open()
    try:
        backend.index(records[-2:])  # new rowids, above the saved watermark
        backend.index([eau.model_copy(update={"title": "Sans le mot", "abstract": "rien"})])
        backend.index([records[0].model_copy(update={"title": "Qualité de l'eau"})])
        backend.delete([records[1].id])
        hits = {hit.id for hit in backend.search(Query(q="title:eau", advanced=True, size=50)).hits}
    finally:
        backend.close()
    assert eau.id not in hits and records[0].id in hits
    with sqlite3.connect(path) as conn:
        (manifest,) = conn.execute("SELECT value FROM meta WHERE key = 'postings'").fetchone()
        assert json.loads(manifest)["generation"] < SqliteTables.meta(conn)[1]
    _compare_matches(path, saved_used=True)


def test_too_many_changed_rows_fall_back_to_fts5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_postings, "_MAX_TOUCHED", 1)
    path = tmp_path / "index.db"
    records = corpus()
    _reindexed(path, records)
    backend = SqliteBackend(path)
    backend.open()
    try:
        backend.index([r.model_copy(update={"title": "Autre"}) for r in records[:3]])
    finally:
        backend.close()
    _compare_matches(path, saved_used=False)


def test_sets_of_another_build_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    _reindexed(path, corpus())
    expected = _fts5_answers(path)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE meta SET value = json_set(value, '$.epoch', 'another build')"
            " WHERE key = 'postings'"
        )
        conn.execute("DELETE FROM posting_arrays WHERE field != ''")  # would find nothing
    _compare_matches(path, saved_used=False)
    assert _answers(path) == expected
