"""GET /api/search collapses duplicates: real ISO fixture records from a regional source,
two of them republished by a national platform (own file identifier, recased title, one
more keyword), harvested through the Ingestor with duplicate detection on, into a real
SQLite store and index; then searched through the Flask app."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from lxml import etree

from harvester.base import Page
from harvester.formats.iso19139 import parse_iso
from indexer.access import AccessPolicy
from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.cluster_store import ClusterStore
from indexer.store import Store
from moisson.config import BUNDLED_RULES, Settings
from moisson.record import Harvested, Record
from pipeline.ingest import Ingestor
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.api.conftest import assert_error
from tests.integration.test_duplicates import REGIONAL
from tests.unit.test_fingerprints import iso_element, republish

REGION = "regional"
NATION = "national"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    rules = tmp_path / "rules.yaml"  # admin rule changes write here, never to the repository
    shutil.copy(BUNDLED_RULES, rules)
    data = settings.model_dump(mode="python")
    data["themes"]["rules"] = rules
    data["sources"] += [
        {"id": REGION, "kind": "csw", "url": "https://region.example.org/csw"},
        {"id": NATION, "kind": "csw", "url": "https://nation.example.org/csw"},
    ]
    data["api"]["admin_open"] = True
    data["duplicates"]["source_priority"] = [REGION]
    return Settings.model_validate(data)


def harvest(ingestor: Ingestor, source: str, elements: list[etree._Element]) -> list[Record]:
    run = ingestor.begin_run(source, None)
    records = [parse_iso(element, source) for element in elements]
    items = [
        Harvested(original_id=r.provenance.original_id, raw=etree.tostring(e), record=r)
        for r, e in zip(records, elements, strict=True)
    ]
    ingestor.write_page(run, source, Page(items))
    ingestor.store.finish_run(run, status="complete", complete=True)
    return records


@pytest.fixture
def harvested(
    settings: Settings, shared_fixtures: Path, tmp_path: Path
) -> Iterator[tuple[Store, SearchBackend, dict[str, list[Record]]]]:
    with Store(settings.store.url) as store:
        backend = build_backend(settings.index.url)
        backend.open()
        try:
            clusters = ClusterStore(store, settings.duplicates).open()
            ingestor = Ingestor(store, backend, None, clusters, AccessPolicy(settings.sources))
            elements = [iso_element(shared_fixtures, name, i) for name, i in REGIONAL]
            regional = harvest(ingestor, REGION, elements)
            plu, fao = elements[0], elements[3]
            copies = [
                republish(plu, "nat-plu-combles", regional[0].title.upper()),
                republish(fao, "nat-fao-physio", regional[3].title.lower()),
            ]
            national = harvest(ingestor, NATION, copies)
            yield store, backend, {REGION: regional, NATION: national}
        finally:
            backend.close()


@pytest.fixture
def records(harvested: tuple[Store, SearchBackend, dict[str, list[Record]]]) -> Any:
    return harvested[2]


@pytest.fixture
def client(
    settings: Settings, harvested: tuple[Store, SearchBackend, dict[str, list[Record]]]
) -> FlaskClient:
    store, backend, _ = harvested
    return create_app(Runtime(settings, store=store, backend=backend)).test_client()


def get(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def source_pairs(hit: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["id"], s["original_id"]) for s in hit["sources"]]


def facet(body: dict[str, Any], name: str) -> dict[str, int]:
    return {b["value"]: b["count"] for b in body["facets"][name]}


def test_a_record_and_its_republished_copy_are_one_hit_listing_both_sources(
    client: FlaskClient, records: dict[str, list[Record]]
) -> None:
    original, copy = records[REGION][0], records[NATION][0]
    body = get(client, "/api/search?size=100")
    hits = {hit["id"]: hit for hit in body["hits"]}
    assert body["total"] == len(records[REGION]) == len(hits)  # 8 records, 6 datasets
    assert copy.id not in hits and records[NATION][1].id not in hits
    assert source_pairs(hits[original.id]) == [
        (REGION, original.provenance.original_id),
        (NATION, "nat-plu-combles"),
    ]
    alone = records[REGION][1]
    assert source_pairs(hits[alone.id]) == [(REGION, alone.provenance.original_id)]


def test_collapse_false_shows_every_copy(
    client: FlaskClient, records: dict[str, list[Record]]
) -> None:
    body = get(client, "/api/search?size=100&collapse=false")
    assert body["total"] == len(records[REGION]) + len(records[NATION])
    assert body["query"]["collapse"] is False
    hits = {hit["id"]: hit for hit in body["hits"]}
    assert source_pairs(hits[records[NATION][0].id]) == [(NATION, "nat-plu-combles")]
    assert source_pairs(hits[records[REGION][0].id]) == [
        (REGION, records[REGION][0].provenance.original_id)
    ]


def test_facet_counts_count_clusters(client: FlaskClient) -> None:
    collapsed = get(client, "/api/search?size=0&facet_size=200")
    every = get(client, "/api/search?size=0&facet_size=200&collapse=false")
    # one value per record: the buckets add up to the hits, copies or clusters
    assert sum(facet(collapsed, "resource_type").values()) == collapsed["total"] == 6
    assert sum(facet(every, "resource_type").values()) == every["total"] == 8
    # each cluster counts once in the bucket of each source holding a copy of it
    assert facet(collapsed, "source") == {REGION: 6, NATION: 2}
    national = get(client, f"/api/search?size=0&source={NATION}")
    assert national["total"] == 2
    # the keyword the national copies add is not counted for them: they are not shown
    added = "données ouvertes"
    assert facet(every, "keyword")[added] == facet(collapsed, "keyword")[added] + 2


def test_a_source_filter_finds_the_cluster_through_its_copy(
    client: FlaskClient, records: dict[str, list[Record]]
) -> None:
    body = get(client, f"/api/search?size=100&source={NATION}")
    assert {hit["id"] for hit in body["hits"]} == {records[REGION][0].id, records[REGION][3].id}


def test_an_admin_split_makes_two_hits_again(
    client: FlaskClient, records: dict[str, list[Record]]
) -> None:
    original, copy = records[REGION][0], records[NATION][0]
    cluster = get(client, f"/api/records/{copy.id}/cluster")["cluster"]
    response = client.post(
        f"/api/admin/clusters/{cluster['id']}/split", json={"record_ids": [copy.id]}
    )
    assert response.status_code == 200, response.get_data(as_text=True)

    body = get(client, "/api/search?size=100")
    hits = {hit["id"]: hit for hit in body["hits"]}
    assert body["total"] == 7
    assert source_pairs(hits[copy.id]) == [(NATION, "nat-plu-combles")]
    assert source_pairs(hits[original.id]) == [(REGION, original.provenance.original_id)]
    assert facet(get(client, "/api/search?size=0"), "source") == {REGION: 6, NATION: 2}


def test_an_admin_pin_changes_which_copy_is_shown(
    client: FlaskClient, records: dict[str, list[Record]]
) -> None:
    original, copy = records[REGION][3], records[NATION][1]
    cluster = get(client, f"/api/records/{copy.id}/cluster")["cluster"]
    response = client.post(f"/api/admin/clusters/{cluster['id']}/pin", json={"record_id": copy.id})
    assert response.status_code == 200, response.get_data(as_text=True)

    hits = {hit["id"]: hit for hit in get(client, "/api/search?size=100")["hits"]}
    assert original.id not in hits
    assert source_pairs(hits[copy.id]) == [
        (NATION, "nat-fao-physio"),
        (REGION, original.provenance.original_id),
    ]


@pytest.mark.parametrize("value", ["maybe", "0"])
def test_collapse_must_be_true_or_false(client: FlaskClient, value: str) -> None:
    assert_error(client.get(f"/api/search?collapse={value}"), 400, contains="collapse")


def test_re_theming_by_an_admin_rule_keeps_the_copies_collapsed(
    client: FlaskClient, records: dict[str, list[Record]]
) -> None:
    rule = {"id": "plu-coast", "comment": "t", "pattern": "(?i)urbanisme", "concept": "coast"}
    body = client.post("/api/admin/mappings/apply", json=rule).get_json()
    assert records[NATION][0].id in {r["id"] for r in body["records"]}  # re-indexed

    found = get(client, "/api/search?size=100")
    assert found["total"] == 6
    assert not {r.id for r in records[NATION]} & {hit["id"] for hit in found["hits"]}
    assert get(client, "/api/search?size=0&collapse=false")["total"] == 8
