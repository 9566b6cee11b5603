"""The search service (indexer/search_service.py) on the bundled thesaurus and a real
embedded index: expansion, search and labels as every protocol gets them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.backends.sqlite import SqliteBackend
from indexer.search_service import SearchService
from indexer.themes import load_themer
from moisson.config import Settings
from moisson.query import Query, Term
from moisson.record import Record, Theme


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SearchService]:
    themer = load_themer(Settings().themes)
    backend = SqliteBackend(tmp_path / "index.db")
    backend.open()
    concept = themer.thesaurus.concepts["wetlands"]
    theme = Theme(id=concept.id, uri=concept.uri, labels={"fr": "Zones humides", "en": "Wetlands"})
    backend.index([Record.new("s", "marsh", title="Marais de Brière", themes=[theme])])
    try:
        yield SearchService(backend, themer, ["fr", "en"])
    finally:
        backend.close()


def test_a_label_in_q_finds_records_filed_under_its_concept(service: SearchService) -> None:
    searched = service.run(Query(q="zones humides"))
    assert [e.concepts for e in searched.query.expansions] == [["wetlands"]]
    assert [hit.title for hit in searched.results.hits] == ["Marais de Brière"]


def test_theme_labels_come_in_the_query_language(service: SearchService) -> None:
    hit = service.search(Query(q="wetlands", lang="eng")).hits[0]
    assert hit.themes == [{"id": "wetlands", "uri": hit.themes[0]["uri"], "label": "Wetlands"}]


def test_protocol_text_trees_and_advanced_queries_are_not_expanded(
    service: SearchService,
) -> None:
    assert service.expand(Query(q="zones humides", advanced=True)).expansions == []
    tree = Query(q="zones humides", text=Term(text="marais"))
    assert service.expand(tree).expansions == []
    assert service.search(tree).total == 1
