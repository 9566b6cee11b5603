"""DCAT-AP out over the harvested samples: pages with hydra paging in every RDF syntax, the
same datasets as /api/search (one theme harvestable alone), 0 SHACL violations on a served
page, errors as problem details, and Moisson's own `dcat` source harvesting /dcat back
through the hydra links with the same titles, boxes, dates and links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF, SH

from harvester.dcat import DcatOptions, DcatSource
from harvester.formats.rdf_document import load_graph
from indexer.backends import build_backend
from indexer.store import Store
from indexer.themes import load_themer
from moisson.config import Settings
from moisson.record import Record
from pipeline.ingest import Ingestor
from pipeline.runs import RunStatus
from publish.dcat import HYDRA
from tests.conftest import SHARED_FIXTURES, require
from tests.integration.sinks import harvest_with
from tests.publish.test_serialisers import shapes

SYNTAXES = {
    "turtle": ("text/turtle", "turtle"),
    "xml": ("application/rdf+xml", "xml"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
}


@pytest.fixture(scope="module")
def client(sample_app: Flask) -> FlaskClient:
    return sample_app.test_client()


def _graph(client: FlaskClient, url: str, syntax: str = "turtle") -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == SYNTAXES[syntax][0]
    # Moisson's own RDF reader: what the dcat source does with the answer.
    return load_graph(response.get_data(), response.content_type)


def _datasets(graph: Graph) -> set[str]:
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    return {str(d) for p in (DCAT.dataset, DCAT.service) for d in graph.objects(catalog, p)}


def _hits(client: FlaskClient, query: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/search?{query}").get_json()
    return body


@pytest.mark.parametrize("syntax", list(SYNTAXES))
def test_every_syntax_by_format_and_by_accept(client: FlaskClient, syntax: str) -> None:
    by_format = _graph(client, f"/dcat?size=5&format={syntax}", syntax)
    accept = client.get("/dcat?size=5", headers={"Accept": SYNTAXES[syntax][0]})
    assert accept.mimetype == SYNTAXES[syntax][0]
    assert len(_datasets(by_format)) == 5


def _local(href: URIRef | None) -> str | None:
    if href is None:
        return None
    return "/" + str(href).split("://", 1)[1].split("/", 1)[1]


def test_pages_follow_hydra_links_to_every_dataset(client: FlaskClient) -> None:
    total = _hits(client, "size=0")["total"]
    seen: set[str] = set()
    url: str | None = "/dcat?size=7"
    pages = 0
    while url:
        graph = _graph(client, url)
        seen |= _datasets(graph)
        view = next(graph.subjects(RDF.type, HYDRA.PagedCollection))
        assert int(graph.value(view, HYDRA.totalItems)) == total
        assert graph.value(view, HYDRA.nextPage) == graph.value(view, HYDRA.next)
        url = _local(graph.value(view, HYDRA.nextPage))
        pages += 1
    assert len(seen) == total and pages == -(-total // 7)


def test_one_theme_is_harvestable_alone(client: FlaskClient) -> None:
    hits = _hits(client, "theme=water&size=100")["hits"]
    graph = _graph(client, "/dcat?theme=water&size=100")
    assert hits
    assert {d.rsplit("/", 1)[1] for d in _datasets(graph)} == {h["id"] for h in hits}
    scheme = URIRef("https://w3id.org/moisson/theme")
    for dataset in _datasets(graph):
        themes = set(graph.objects(URIRef(dataset), DCAT.theme))
        assert any(
            graph.value(t, URIRef("http://www.w3.org/2004/02/skos/core#inScheme")) == scheme
            for t in themes
        )


def test_a_served_page_has_no_shacl_violation(client: FlaskClient) -> None:
    require((SHARED_FIXTURES / "shacl").is_dir(), "SHACL shapes not found in shared fixtures")
    graph = _graph(client, "/dcat?size=100")
    _, report, text = validate(graph, shacl_graph=shapes(), inference="none", allow_warnings=True)
    assert not list(report.subjects(SH.resultSeverity, SH.Violation)), text[:3000]


def test_one_dataset_and_errors(client: FlaskClient) -> None:
    hit = _hits(client, "size=1")["hits"][0]
    graph = _graph(client, f"/dcat/datasets/{hit['id']}")
    assert _datasets(graph) == {f"http://localhost/dcat/datasets/{hit['id']}"}
    for url, status in (
        ("/dcat/datasets/nope", 404),
        ("/dcat?format=csv", 400),
        ("/dcat?size=100000", 400),
        ("/dcat?bbox=1,2,3", 400),
        ("/dcat?nonsense=1", 400),
        ("/dcat/datasets/x?page=2", 400),
    ):
        response = client.get(url)
        assert response.status_code == status, url
        assert response.mimetype == "application/problem+json"
        assert set(response.get_json()) == {"type", "title", "status", "detail"}


def _essentials(record: Record) -> tuple[Any, ...]:
    boxes = sorted(tuple(b.as_list()) for b in record.bboxes)
    dates = (record.created, record.published, record.revised)
    return (record.title, boxes, dates, record.temporal)


@pytest.mark.integration
def test_moisson_harvests_its_own_dcat_back(
    live_url: str, sample_store: Store, sample_settings: Settings, tmp_path: Path
) -> None:
    options = DcatOptions(id="dcat-again", kind="dcat", url=f"{live_url}/dcat?size=6")
    backend = build_backend(f"sqlite:///{tmp_path / 'index.db'}")
    backend.open()
    try:
        with Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
            ingestor = Ingestor(store, backend, themer=load_themer(sample_settings.themes))
            report = harvest_with(DcatSource, options, ingestor)
            assert report.status is RunStatus.COMPLETE, report.summary()
            again = {r.provenance.original_id: r for r in store.iter_records("dcat-again")}
    finally:
        backend.close()
    hits = httpx.get(f"{live_url}/api/search?size=100").json()["hits"]
    ids = [h["id"] for h in hits]
    assert sorted(again) == sorted(f"{live_url}/dcat/datasets/{i}" for i in ids)
    originals = {r.id: r for r in sample_store.active(ids)}
    for record_id in ids:
        back = again[f"{live_url}/dcat/datasets/{record_id}"]
        original = originals[record_id]
        assert _essentials(back) == _essentials(original), record_id
        assert {link.url for link in back.links} == {link.url.strip() for link in original.links}
        assert {t.id for t in original.themes} <= {t.id for t in back.themes}
