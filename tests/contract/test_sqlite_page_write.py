"""The embedded index's page write (one id lookup and one executemany per table for a whole
page) answers exactly what an index built in one go answers, through pages that mix new
records, records written again and records deleted in between."""

from __future__ import annotations

from pathlib import Path

from indexer.backends.sqlite import SqliteBackend
from moisson.record import BBox, Query, Record, Results
from tests.contract.corpus import corpus

QUERIES = [
    Query(q="zones humides", size=100),
    Query(q="foret", size=100),
    Query(q="eau", size=100),
    Query(q="", size=100, sort="title"),
    Query(q="renamed", size=100),
    Query(q="", size=100, bbox=BBox(west=-5.5, south=41.0, east=10.0, north=51.5)),
    Query(q="", size=100, filters={"source": ["geo"]}),
]


def answers(backend: SqliteBackend) -> list[tuple[int, list[str], dict[str, list[object]]]]:
    def one(results: Results) -> tuple[int, list[str], dict[str, list[object]]]:
        return results.total, [h.id for h in results.hits], dict(results.facets)

    return [one(backend.search(query)) for query in QUERIES]


def test_pages_with_rewrites_and_deletes_answer_as_one_build(tmp_path: Path) -> None:
    records = corpus()
    assert len(records) >= 6
    renamed = records[1].model_copy(update={"title": "Renamed record"})
    paged = SqliteBackend(tmp_path / "paged.db")
    paged.open()
    try:
        assert paged.index(records[:4]) == 4
        # A page with one record written again (new title), the others new.
        assert paged.index([renamed, *records[4:]]) == len(records) - 3
        paged.delete([records[2].id])
        assert paged.index([records[2], records[0]]) == 2  # back, and one more rewrite
        final: list[Record] = [records[0], renamed, records[2], records[3], *records[4:]]
        assert paged.count() == len(records)

        whole = SqliteBackend(tmp_path / "whole.db")
        whole.open()
        try:
            whole.index(final)
            assert answers(paged) == answers(whole)
        finally:
            whole.close()
        assert paged.search(Query(q="renamed", size=10)).total == 1
        expected = answers(paged)
        # A fresh open of the file (columns from the rows) answers the same.
        paged.close()
        again = SqliteBackend(tmp_path / "paged.db")
        again.open()
        try:
            assert answers(again) == expected
        finally:
            again.close()
    finally:
        paged.close()
