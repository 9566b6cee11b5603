"""OpenSearch beyond the shared contract: zero-downtime reindex through the alias, bulk
failures reported with counts, and `moisson reindex` from a PostgreSQL store. Runs against the
real node of scripts/opensearch.sh (OPENSEARCH_TEST_URL)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from indexer.analysis import paired_stems, stem_pairs, tokenise
from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.backends.opensearch import MAPPING_PATH, OpenSearchBackend
from indexer.store import Store
from moisson.config import Settings
from moisson.errors import BackendError
from moisson.record import BBox, Harvested, Keyword, Query, Record
from pipeline.cli import main
from pipeline.harvest import harvest_source
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime
from testkit.http_replay import ReplayServer
from testkit.opensearch_support import drop_alias, fresh_alias
from tests.contract.corpus import corpus
from tests.integration.csw_fault_server import CswCatalogue
from tests.integration.sinks import FAST_POLICY

pytestmark = pytest.mark.integration

WORDS = ["forêt", "zones humides", "eau", "bocage", "rivière", "occupation du sol", "énergie"]


def generated(n: int, source: str = "gen") -> list[Record]:
    return [
        Record.new(
            source,
            f"r{number}",
            title=f"{WORDS[number % len(WORDS)].capitalize()} — jeu {number}",
            abstract=f"Données sur {WORDS[(number * 3) % len(WORDS)]} et {WORDS[number % 5]}.",
            keywords=[Keyword(label=WORDS[(number * 5) % len(WORDS)])],
            bboxes=[BBox(west=-5 + number % 10, south=42, east=-4 + number % 10, north=43)],
        )
        for number in range(n)
    ]


@pytest.fixture
def alias(opensearch_url: str) -> Iterator[str]:
    name = fresh_alias("scale")
    try:
        yield name
    finally:
        drop_alias(opensearch_url, name)


@pytest.fixture
def backend(opensearch_url: str, alias: str) -> Iterator[SearchBackend]:
    built = build_backend(f"{opensearch_url}/{alias}")
    built.open()
    try:
        yield built
    finally:
        built.close()


def concrete_indices(opensearch_url: str, alias: str) -> dict[str, bool]:
    """Concrete index name -> whether the alias points at it."""
    client = OpenSearch(hosts=[opensearch_url])
    try:
        found = client.indices.get(index=f"{alias}-*", params={"allow_no_indices": "true"})
        return {name: alias in body.get("aliases", {}) for name, body in found.items()}
    finally:
        client.close()


def test_searches_keep_answering_during_a_reindex(backend: SearchBackend) -> None:
    records = generated(3000)
    backend.index(records)
    errors: list[BaseException] = []
    totals: list[int] = []
    stop = threading.Event()

    def search_loop() -> None:
        while not stop.is_set():
            try:
                totals.append(backend.search(Query(q="eau", size=5)).total)
                totals.append(backend.search(Query(size=5)).total)
            except BaseException as exc:  # recorded for the assertion
                errors.append(exc)

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        for _ in range(2):
            assert backend.reindex(iter(records)) == len(records)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert errors == []
    assert len(totals) > 10
    assert min(totals) > 0


def test_reindex_moves_the_alias_and_drops_the_old_index(
    backend: SearchBackend, opensearch_url: str, alias: str
) -> None:
    backend.index(generated(10))
    (before,) = concrete_indices(opensearch_url, alias)
    backend.reindex(iter(generated(20)))
    after = concrete_indices(opensearch_url, alias)
    assert list(after.values()) == [True]
    assert before not in after
    assert backend.count() == 20


def test_a_failed_reindex_leaves_only_the_old_index(
    backend: SearchBackend, opensearch_url: str, alias: str
) -> None:
    backend.index(generated(50))
    before = concrete_indices(opensearch_url, alias)

    def broken() -> Iterator[Record]:
        yield from generated(2500)  # more than one bulk batch reaches the new index
        raise RuntimeError("store went away")

    with pytest.raises(RuntimeError):
        backend.reindex(broken())
    assert concrete_indices(opensearch_url, alias) == before
    assert backend.count() == 50
    assert backend.search(Query(q="bocage")).total > 0


def test_items_the_cluster_refuses_are_reported_with_counts(
    backend: SearchBackend, opensearch_url: str, alias: str
) -> None:
    backend.index(generated(5))
    client = OpenSearch(hosts=[opensearch_url])
    blocked = {"index": {"blocks": {"write": True}}}
    try:
        client.indices.put_settings(index=alias, body=blocked)
        with pytest.raises(BackendError) as caught:
            backend.index(generated(30, source="other"))
        assert "indexed 0 of 30" in caught.value.message
        assert "30 not written" in caught.value.message
    finally:
        client.indices.put_settings(index=alias, body={"index": {"blocks": {"write": None}}})
        client.close()
    assert backend.count() == 5
    assert backend.index(generated(30, source="other")) == 30
    assert backend.count() == 35


def test_a_node_that_is_not_there_is_unavailable() -> None:
    from moisson.errors import BackendUnavailable

    backend = build_backend("http://127.0.0.1:9/nowhere")  # discard port: nothing listens
    with pytest.raises(BackendUnavailable):
        backend.open()


def test_moisson_reindex_from_a_postgresql_store_while_searching(
    backend: SearchBackend,
    opensearch_url: str,
    alias: str,
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The scale-out set-up configured by URL only: store on PostgreSQL, index on OpenSearch,
    both from MOISSON_* variables as compose.yaml sets them."""
    records = generated(1500)
    with Store(postgres_url) as store:
        run = store.begin_run("gen")
        items = [
            Harvested(original_id=r.provenance.original_id, raw=b"<x/>", record=r) for r in records
        ]
        store.write_page(run, "gen", items)
        store.finish_run(run, status="complete", complete=True)
    backend.index(records[:10])  # what was indexed before: searches must never see less
    config = tmp_path / "moisson.toml"
    # `moisson reindex` stamps access from the config: records of unconfigured sources are
    # admins-only, so the source is configured (public) for the anonymous searches below.
    config.write_text(
        '[[sources]]\nid = "gen"\nkind = "csw"\nurl = "https://gen.example.org/csw"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("MOISSON_STORE__URL", postgres_url)
    monkeypatch.setenv("MOISSON_INDEX__URL", f"{opensearch_url}/{alias}")
    errors: list[BaseException] = []
    totals: list[int] = []
    stop = threading.Event()

    def search_loop() -> None:
        while not stop.is_set():
            try:
                totals.append(backend.search(Query(q="foret", size=5)).total)
            except BaseException as exc:  # recorded for the assertion
                errors.append(exc)

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        code = main(["--config", str(config), "reindex"])
    finally:
        stop.set()
        thread.join(timeout=30)
    assert code == 0, capsys.readouterr().err
    assert f"reindexed {len(records)} records" in capsys.readouterr().out
    assert errors == [] and totals and min(totals) > 0
    assert backend.count() == len(records)


def test_the_index_holds_the_query_sides_stems_at_each_word(
    backend: SearchBackend, opensearch_url: str
) -> None:
    """Queries carry stems computed by PyStemmer (indexer/analysis.py); the client sends
    text fields already stemmed (analysis.paired_stems) and the mapping's analyser must turn
    each word into exactly its French and English stems, both at the word's position, or a
    query (or a phrase) would miss."""
    text = " ".join(
        f"{r.title} {r.abstract} {' '.join(k.label for k in r.keywords)}" for r in corpus()
    )
    words = tokenise(text + " rivières rivieres wetlands forests zones humides")
    french, english = stem_pairs(words)
    client = OpenSearch(hosts=[opensearch_url])
    try:
        body = {"field": "title", "text": paired_stems(" ".join(words))}
        tokens = client.indices.analyze(index=backend.alias, body=body)["tokens"]  # type: ignore[attr-defined]
    finally:
        client.close()
    found: dict[int, set[str]] = {}
    for token in tokens:
        found.setdefault(token["position"], set()).add(token["token"])
    assert [found.get(number) for number in range(len(words))] == [
        {fr, en} for fr, en in zip(french, english, strict=True)
    ]
    assert len(found) == len(words)


def test_an_index_built_before_client_stemming_gets_plain_text_until_reindexed(
    opensearch_url: str, alias: str
) -> None:
    """An index whose text fields stem on the node (the mapping before moisson_stemmed)
    must not receive stems to stem again: writes send the text as given, searches find it,
    and `reindex` builds a client-stemmed index."""
    body = json.loads(MAPPING_PATH.read_text(encoding="utf-8"))
    body.pop("_comment")
    analysis = body["settings"]["analysis"]
    analysis["filter"] = {
        "fr": {"type": "snowball", "language": "French"},
        "en": {"type": "snowball", "language": "English"},
        "both": {"type": "multiplexer", "filters": ["fr", "en"], "preserve_original": False},
    }
    analysis["tokenizer"] = {"words": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}]+"}}
    analysis["analyzer"] = {
        "moisson_text": {
            "type": "custom",
            "tokenizer": "words",
            "filter": ["lowercase", "asciifolding", "both"],
        }
    }
    for field in ("title", "keywords", "abstract"):
        body["mappings"]["properties"][field]["analyzer"] = "moisson_text"
    body["aliases"] = {alias: {}}
    client = OpenSearch(hosts=[opensearch_url])
    records = corpus()[:5]
    backend = build_backend(f"{opensearch_url}/{alias}")
    try:
        client.indices.create(index=f"{alias}-old", body=body)
        backend.open()
        assert backend.index(records) == 5
        stored = client.get(index=alias, id=records[0].id)["_source"]
        assert stored["title"] == records[0].title
        for record in records:
            assert record.id in {h.id for h in backend.search(Query(q=record.title)).hits}
        backend.reindex(iter(records))
        stored = client.get(index=alias, id=records[0].id)["_source"]
        assert stored["title"] == paired_stems(records[0].title)
        assert backend.index(records[:1]) == 1  # now stemmed: the new index's mapping
        assert client.get(index=alias, id=records[0].id)["_source"]["title"] == stored["title"]
        for record in records:
            assert record.id in {h.id for h in backend.search(Query(q=record.title)).hits}
    finally:
        backend.close()
        client.close()


def test_an_index_built_before_search_collapse_takes_the_new_fields(
    opensearch_url: str, alias: str
) -> None:
    """An index whose mapping predates the collapse fields (the mapping is strict) accepts
    records again once opened; they count as their own canonical until `moisson reindex`."""
    body = json.loads(MAPPING_PATH.read_text(encoding="utf-8"))
    body.pop("_comment")
    for name in ("outranked", "cluster_source"):
        del body["mappings"]["properties"][name]
    body["aliases"] = {alias: {}}
    client = OpenSearch(hosts=[opensearch_url])
    try:
        client.indices.create(index=f"{alias}-old", body=body)
    finally:
        client.close()
    backend = build_backend(f"{opensearch_url}/{alias}")
    backend.open()
    try:
        assert backend.index(corpus()[:3]) == 3
        assert backend.search(Query(size=0)).total == 3
    finally:
        backend.close()


def test_writes_in_a_deferred_refresh_block_refresh_on_read_and_at_its_end(
    opensearch_url: str, alias: str
) -> None:
    """Inside `deferred_refresh()` (a harvest run) `index` and `delete` leave the refresh to
    the next read through the same backend (read-your-writes) or to the block's end; outside
    it every write refreshes (the contract). The node's own refreshes are switched off here,
    so another client's count shows exactly when the backend refreshed."""
    records = generated(40)
    backend = OpenSearchBackend([opensearch_url], alias)
    client = OpenSearch(hosts=[opensearch_url])
    try:
        backend.open()
        client.indices.put_settings(index=alias, body={"index": {"refresh_interval": "-1"}})
        with backend.deferred_refresh():
            assert backend.index(records[:10]) == 10
            with backend.deferred_refresh():  # nested: only the outermost end refreshes
                assert backend.index(records[10:20]) == 10
            assert client.count(index=alias)["count"] == 0  # no refresh per index() call
            assert backend.count() == 20  # the read refreshed first
            assert client.count(index=alias)["count"] == 20
            backend.delete([records[0].id])
            assert client.count(index=alias)["count"] == 20
            assert records[0].id not in {h.id for h in backend.search(Query(size=50)).hits}
            assert backend.index(records[20:30]) == 10
            assert backend.suggest(WORDS[0][:3], roles=None)  # suggest refreshes too
            assert client.count(index=alias)["count"] == 29
            assert backend.index(records[:1]) == 1
            assert client.count(index=alias)["count"] == 29
        assert client.count(index=alias)["count"] == 30  # the block's end refreshed
        assert backend.index(records[30:]) == 10
        assert client.count(index=alias)["count"] == 40  # outside a block: at once
        with pytest.raises(RuntimeError), backend.deferred_refresh():
            backend.delete([records[1].id])
            raise RuntimeError("the run failed")
        assert client.count(index=alias)["count"] == 39  # refreshed on the way out too
    finally:
        backend.close()
        client.close()


def test_a_fresh_index_and_a_rebuilt_one_keep_the_node_default_refresh(
    backend: SearchBackend, opensearch_url: str, alias: str
) -> None:
    """Neither the mapping nor a reindex sets refresh_interval: the node's default (1 s, and
    none while the shard has no searches) lets a harvest write without a refresh a second."""

    def refresh_intervals() -> list[object]:
        client = OpenSearch(hosts=[opensearch_url])
        try:
            found = client.indices.get_settings(index=alias).values()
            return [body["settings"]["index"].get("refresh_interval") for body in found]
        finally:
            client.close()

    assert refresh_intervals() == [None]
    backend.reindex(iter(generated(5)))
    assert refresh_intervals() == [None]
    assert backend.count() == 5


def test_a_harvest_run_refreshes_at_its_end_not_per_page(
    opensearch_url: str, alias: str, tmp_path: Path
) -> None:
    """harvest_source writes its pages inside deferred_refresh(): five pages of ten records
    cost the node a refresh or two (not one per page), and another client counts every
    record once the run is done. The node's own refreshes are off, so its count tells."""
    catalogue = CswCatalogue([f"rec-{n:02d}" for n in range(50)])
    client = OpenSearch(hosts=[opensearch_url])

    def refreshes() -> int:
        stats = client.indices.stats(index=alias, metric="refresh")
        return int(stats["_all"]["primaries"]["refresh"]["total"])

    try:
        with ReplayServer(catalogue) as server:
            source = {"id": "csw", "kind": "csw", "url": server.url, "page_size": 10}
            settings = Settings(
                store={"url": f"sqlite:///{tmp_path}/store.db"},
                index={"url": f"{opensearch_url}/{alias}"},
                harvest=FAST_POLICY,
                sources=[source | {"output_schema": "iso19139", "incremental": False}],
            )
            with Runtime(settings) as runtime:
                runtime.backend.open()
                body = {"index": {"refresh_interval": "-1"}}
                client.indices.put_settings(index=alias, body=body)
                before = refreshes()
                result = harvest_source(runtime, settings.source("csw"))
                assert result.report.status is RunStatus.COMPLETE
                assert result.report.pages == 5
                assert refreshes() - before <= 2
                assert client.count(index=alias)["count"] == 50
    finally:
        client.close()
