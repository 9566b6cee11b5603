"""DCAT harvests over real HTTP on 127.0.0.1, replaying the shared real catalogue documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harvester.dcat import DcatOptions, DcatSource
from moisson.record import record_id
from pipeline.cli import main
from pipeline.ingest import Ingestor
from pipeline.runs import RunReport, RunStatus
from testkit.http_replay import ReplayServer, Reply, Request
from tests.integration.sinks import harvest_with, write_config

ORIGIN = b"http://data.test.org/catalog.jsonld"


def harvest(
    url: str, ingestor: Ingestor, page_size: int = 200, stream_above_mib: float = 8
) -> RunReport:
    options = DcatOptions(
        id="dcat-replay",
        kind="dcat",
        url=url,
        page_size=page_size,
        stream_above_mib=stream_above_mib,
    )
    return harvest_with(DcatSource, options, ingestor)


class PagedCatalogue:
    """udata's two-page hydra catalogue, its links rewritten to this server."""

    def __init__(self, shared_fixtures: Path, style: str) -> None:
        self.pages = {
            n: (shared_fixtures / f"dcat/udata/{style}-collection-{n}.jsonld").read_bytes()
            for n in ("1", "2")
        }
        self.server = ReplayServer(self.reply)

    def reply(self, request: Request) -> Reply:
        page = request.query.get("page", ["1"])[0]
        body = self.pages[page].replace(ORIGIN, f"{self.server.url}/catalog.jsonld".encode())
        return Reply(body, content_type="application/ld+json")


@pytest.mark.parametrize("style", ["paged", "partial"])
def test_hydra_pages_are_followed_to_the_end(
    shared_fixtures: Path, ingestor: Ingestor, style: str
) -> None:
    catalogue = PagedCatalogue(shared_fixtures, style)
    with catalogue.server as server:
        report = harvest(f"{server.url}/catalog.jsonld", ingestor)
    assert [r.query.get("page") for r in server.requests] == [None, ["2"]]
    assert report.status is RunStatus.COMPLETE, report.notes
    assert (report.seen, report.declared_total) == (4, 4)
    assert ingestor.store.count() == 4
    assert ingestor.backend.count() == 4


@pytest.mark.parametrize("stream_above_mib", [8, 0.01], ids=["one-graph", "streamed"])
def test_a_big_document_is_split_into_pages(
    shared_fixtures: Path, ingestor: Ingestor, stream_above_mib: float
) -> None:
    body = (shared_fixtures / "dcat/geonetwork/dcat_feed_mow_vlaanderen.rdf").read_bytes()
    with ReplayServer(lambda r: Reply(body, content_type="application/rdf+xml")) as server:
        report = harvest(
            f"{server.url}/feed.rdf", ingestor, page_size=5, stream_above_mib=stream_above_mib
        )
    assert report.status is RunStatus.COMPLETE
    assert (report.pages, report.seen) == (5, 22)
    assert ingestor.backend.count() == 22


def test_a_catalogue_whose_next_link_loops_stops_partial(
    shared_fixtures: Path, ingestor: Ingestor
) -> None:
    page = (shared_fixtures / "dcat/udata/partial-collection-1.jsonld").read_bytes()
    holder: dict[str, ReplayServer] = {}

    def reply(request: Request) -> Reply:  # every page says "next: page 2" and is page 1
        url = f"{holder['server'].url}/catalog.jsonld".encode()
        return Reply(page.replace(ORIGIN, url), content_type="application/ld+json")

    with ReplayServer(reply) as server:
        holder["server"] = server
        report = harvest(f"{server.url}/catalog.jsonld", ingestor)
    assert report.status is RunStatus.PARTIAL
    assert any("repeated" in note or "already" in note for note in report.notes)
    assert len(server.requests) == 2
    assert ingestor.store.count() == 3


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("udata/catalog.xml", "text/plain"),
        ("geonetwork_dcatap/wallonie_mesure_hauteur_eau.dcat-ap3.rdf", "application/json"),
        ("semic/inspire_dataset_2.0_example.geodcatap.ttl", "application/octet-stream"),
    ],
)
def test_a_wrong_content_type_still_parses(
    shared_fixtures: Path, ingestor: Ingestor, name: str, content_type: str
) -> None:
    body = (shared_fixtures / "dcat" / name).read_bytes()
    with ReplayServer(lambda r: Reply(body, content_type=content_type)) as server:
        report = harvest(f"{server.url}/catalog", ingestor)
    assert report.status is RunStatus.COMPLETE, report.error
    assert ingestor.store.count() >= 1


def test_an_html_error_page_fails_the_run(ingestor: Ingestor) -> None:
    page = b"<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>"
    with ReplayServer(lambda r: Reply(page, content_type="text/html")) as server:
        report = harvest(f"{server.url}/catalog", ingestor)
    assert report.status is RunStatus.FAILED
    assert report.error and "RDF" in report.error


def test_raw_payload_is_kept_per_dataset(shared_fixtures: Path, ingestor: Ingestor) -> None:
    body = (shared_fixtures / "dcat/udata/datara_geodcatap_5a26b0f6.rdf.xml").read_bytes()
    with ReplayServer(lambda r: Reply(body, content_type="application/rdf+xml")) as server:
        harvest(f"{server.url}/catalog", ingestor)
    original = (
        "https://catalogue.open-datara.fr/geonetwork/srv/5a26b0f6-0ccf-46ad-ac58-734054b91977"
    )
    raw, content_type = ingestor.store.raw(record_id("dcat-replay", original))
    assert content_type == "text/turtle"
    assert b"Campings issus de la BDTopo" in raw


def test_moisson_harvest_puts_csw_dcat_and_ckan_records_in_one_search(
    shared_fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI with a config of three kinds: each lands in the store and the index, and one
    search lists them together with the `source` facet counting each."""
    dcat = (shared_fixtures / "dcat/udata/catalog.xml").read_bytes()
    ckan = (shared_fixtures / "ckan/demo_ckan_org/package_search_rows3.json").read_bytes()

    def reply(request: Request) -> Reply:
        if request.path.startswith("/api/3/action/"):
            return Reply(ckan, content_type="application/json")
        return Reply(dcat, content_type="application/rdf+xml")

    samples = Path(__file__).resolve().parents[2] / "samples" / "csw"
    with ReplayServer(reply) as server:
        config = write_config(
            tmp_path,
            [
                {"id": "sdi", "kind": "csw", "url": samples.as_uri()},
                {"id": "portail-dcat", "kind": "dcat", "url": f"{server.url}/catalog.rdf"},
                {"id": "portail-ckan", "kind": "ckan", "url": server.url, "page_size": 10},
            ],
        )
        code = main(["--config", str(config), "harvest"])
        out = capsys.readouterr().out
    assert code == 0, out
    assert "portail-dcat: complete" in out and "portail-ckan: complete" in out
    code = main(["--config", str(config), "search", "", "--json", "--size", "100"])
    response = json.loads(capsys.readouterr().out)
    facet = {b["value"]: b["count"] for b in response["facets"]["source"]}
    assert facet["portail-dcat"] == 4  # and one blank-node dataset quarantined
    assert facet["portail-ckan"] == 3
    # Facets count clusters: the CSW samples hold two republished pairs (samples/README.md).
    assert facet["sdi"] == len(list(samples.glob("*.xml"))) - 2
    listed = {source["id"] for hit in response["hits"] for source in hit["sources"]}
    assert {"sdi", "portail-dcat", "portail-ckan"} <= listed
