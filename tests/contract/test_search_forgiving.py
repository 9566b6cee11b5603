"""Forgiving search on both backends (issue 20 item 2), through the search service over the
harvested sample catalogue (samples/csw): misspelt words are corrected against the index
vocabulary and the same corrected query runs on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.base import SourceContext
from harvester.csw import CswSource
from harvester.http import HttpClient
from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.search_service import SearchService
from indexer.store import Store
from moisson.config import IndexSettings, Settings, StoreSettings
from moisson.query import Query
from moisson.record import Keyword, Link, Record
from pipeline.ingest import Ingestor
from pipeline.runs import RunStatus, run_source
from pipeline.runtime import Runtime
from testkit.opensearch_support import drop_alias, fresh_alias
from tests.conftest import require

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "csw"
SOURCE = "sample-csw"

TYPOS = {
    "orthofoto": "orthophotographies",
    "Camarque": "camargue",
    "Bretange": "bretagne",
    "inondaton": "ppri de la vilaine",  # its abstract: "risque inondation"
    "wetlnds": "wetlands",
}


@pytest.fixture(scope="module", params=["sqlite", "opensearch", "tantivy"])
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchService]:
    require(SAMPLES.is_dir() and any(SAMPLES.glob("*.xml")), f"no sample catalogue in {SAMPLES}")
    tmp = tmp_path_factory.mktemp("forgiving")
    alias = None
    if request.param == "sqlite":
        index_url = f"sqlite:///{tmp / 'index.db'}"
    elif request.param == "tantivy":
        index_url = f"tantivy:///{tmp / 'tantivy'}"
    else:
        alias = fresh_alias("forgiving")
        index_url = f"{request.getfixturevalue('opensearch_url')}/{alias}"
    settings = Settings(
        store=StoreSettings(url=f"sqlite:///{tmp / 'store.db'}"),
        index=IndexSettings(url=index_url),
        sources=[{"id": SOURCE, "kind": "csw", "url": SAMPLES.as_uri(), "name": "Samples"}],
    )
    backend = build_backend(index_url)
    with Store(settings.store.url) as store, HttpClient(settings.harvest) as http:
        backend.open()
        try:
            source = CswSource(settings.source(SOURCE), SourceContext.with_http(http))
            report = run_source(source, SOURCE, Ingestor(store, backend))
            assert report.status is RunStatus.COMPLETE, report.summary()
            yield Runtime(settings, store=store, backend=backend).search
        finally:
            backend.close()
            if alias is not None:
                drop_alias(request.getfixturevalue("opensearch_url"), alias)


def _top_titles(service: SearchService, q: str) -> tuple[list[str], str | None, bool]:
    results = service.run(Query(q=q, size=3)).results
    return [h.title.lower() for h in results.hits], results.suggestion, results.corrected


@pytest.mark.parametrize("typo", sorted(TYPOS))
def test_a_misspelt_word_finds_the_intended_record_in_the_top_3(
    service: SearchService, typo: str
) -> None:
    exact = service.backend.search(Query(q=typo))
    assert exact.total == 0  # what the engine alone finds
    titles, suggestion, corrected = _top_titles(service, typo)
    assert corrected and suggestion is not None
    assert any(TYPOS[typo] in title for title in titles), (suggestion, titles)


@pytest.mark.parametrize("q", ["camargue", "zones humides", "bretagne", "wetlands", "inondation"])
def test_an_exact_query_keeps_its_results(service: SearchService, q: str) -> None:
    exact = service.backend.search(service.expand(Query(q=q)))
    results = service.run(Query(q=q)).results
    assert results.total == exact.total > 0
    assert [h.id for h in results.hits] == [h.id for h in exact.hits]
    assert results.suggestion is None and not results.corrected


def test_nonsense_gets_no_suggestion(service: SearchService) -> None:
    results = service.run(Query(q="xqzvvkw")).results
    assert results.total == 0 and results.suggestion is None


@pytest.mark.parametrize("code", ["EPTB-VIL-ZH-2022", "EOL-TERR-BZH"])
def test_an_identifier_typed_as_q_finds_its_record_first(service: SearchService, code: str) -> None:
    results = service.run(Query(q=code, collapse=False)).results
    assert results.total > 0
    top = service.backend.search(Query(filters={"identifier": [code]}, collapse=False))
    assert {h.id for h in results.hits} == {h.id for h in top.hits}
    assert results.hits[0].id in {h.id for h in top.hits}


def test_an_original_id_typed_as_q_finds_its_record(service: SearchService) -> None:
    some = service.backend.search(Query(size=1, roles=None, collapse=False)).hits[0]
    original = some.sources[0].original_id
    results = service.run(Query(q=original, roles=None, collapse=False)).results
    assert results.hits[0].id == some.id


@pytest.mark.parametrize("q", ["the", "de", "de la", "the of"])
def test_stopwords_are_not_required_terms(service: SearchService, q: str) -> None:
    assert service.run(Query(q=q, roles=None)).results.total == 0


def test_stopwords_beside_a_word_change_nothing(service: SearchService) -> None:
    alone = service.run(Query(q="camargue")).results
    assert alone.total > 0
    assert [h.id for h in service.run(Query(q="the camargue")).results.hits] == [
        h.id for h in alone.hits
    ]


@pytest.fixture(params=["sqlite", "opensearch", "tantivy"])
def bare_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    alias = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'index.db'}"
    elif request.param == "tantivy":
        url = f"tantivy:///{tmp_path / 'tantivy'}"
    else:
        alias = fresh_alias("facets")
        url = f"{request.getfixturevalue('opensearch_url')}/{alias}"
    backend = build_backend(url)
    backend.open()
    try:
        yield backend
    finally:
        backend.close()
        if alias is not None:
            drop_alias(request.getfixturevalue("opensearch_url"), alias)


def _spelt(key: str, formats: list[str], protocol: str, keyword: str) -> Record:
    return Record.new(
        "geo",
        key,
        title=f"Record {key}",
        formats=formats,
        links=[Link(url=f"https://geo.example.org/{key}", protocol=protocol)],
        keywords=[Keyword(label=keyword)],
    )


def test_facet_values_that_say_the_same_thing_are_shown_once(
    bare_backend: SearchBackend,
) -> None:
    bare_backend.index(
        [
            _spelt("a", ["GPKG"], "OGC:WMS", "Zones humides"),
            _spelt("b", ["GeoPackage", "SHP"], "OGC:WMS-1.1.1-http-get-map", "ZONES HUMIDES"),
            _spelt("c", ["ESRI Shapefile"], "ogc:wms", "Zones humides"),
            _spelt("d", ["Shapefile"], "OGC:WFS", "Zones humides"),
        ]
    )
    results = bare_backend.search(Query(roles=None))
    counts = {name: {b.value: b.count for b in buckets} for name, buckets in results.facets.items()}
    assert counts["format"] == {"GeoPackage": 2, "Shapefile": 3}
    assert counts["protocol"] == {"OGC:WMS": 3, "OGC:WFS": 1}
    assert counts["keyword"] == {"Zones humides": 4}
