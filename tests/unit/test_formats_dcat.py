"""DCAT mapping over every real catalogue document in ../shared/fixtures/dcat."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from harvester.dcat import read_dcat_document, read_dcat_file
from harvester.formats.dcat import RAW_CONTENT_TYPE
from harvester.formats.rdf_document import load_graph, sniff_syntax
from moisson.errors import SourceProtocolError, UnsafeInput
from moisson.record import BBox, Harvested, Record
from tests.conftest import SHARED_FIXTURES

DCAT_DIR = SHARED_FIXTURES / "dcat"
FILES = sorted(p for p in DCAT_DIR.rglob("*") if p.is_file() and p.suffix != ".md")


def harvest_file(path: Path) -> list[Harvested]:
    """What the file source does with a document: its datasets, or one quarantine entry
    for the whole document when it is not usable RDF."""
    return read_dcat_file(path.read_bytes(), None, "test", name=path.name)


def record(shared_fixtures: Path, name: str, original_id: str | None = None) -> Record:
    items = harvest_file(shared_fixtures / "dcat" / name)
    records = [i.record for i in items if i.record is not None]
    if original_id is not None:
        records = [r for r in records if r.provenance.original_id == original_id]
    assert len(records) == 1, [r.provenance.original_id for r in records]
    return records[0]


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(DCAT_DIR)))
def test_every_dataset_is_a_record_or_a_reasoned_quarantine(
    shared_fixtures: Path, path: Path
) -> None:
    items = harvest_file(path)
    assert items, "a document gives at least one item (records or a file-level reason)"
    for item in items:
        if item.record is not None:
            assert item.record.title and item.record.provenance.original_id
        else:
            assert item.error
    ok = sum(1 for i in items if i.record)
    print(f"{path.relative_to(DCAT_DIR)}: {ok} records, {len(items) - ok} quarantined")


def test_walloon_dcat_ap3_dataset(shared_fixtures: Path) -> None:
    r = record(shared_fixtures, "geonetwork_dcatap/wallonie_mesure_hauteur_eau.dcat-ap3.rdf")
    assert r.provenance.original_id == (
        "https://metawal.wallonie.be/geonetwork/srv/api/records/"
        "a06b1f40-f85f-469e-a1af-ede1b578553d"
    )
    assert r.title.startswith("INSPIRE - Stations de mesure de la hauteur d'eau")
    assert r.language == "fre"
    assert r.bboxes == [BBox(west=2.75, south=49.45, east=6.5, north=50.85)]
    assert (r.published, r.revised, r.metadata_date) == (
        date(2020, 11, 16),
        date(2023, 5, 12),
        date(2024, 3, 18),
    )
    wms = [link for link in r.links if link.protocol == "OGC:WMS"]
    assert wms and wms[0].url.startswith("https://geoservices.wallonie.be/geoserver/inspire_ef/")
    themed = [k for k in r.keywords if k.uri]
    assert themed, "dcat:theme IRIs are kept as keyword URIs"
    assert all(k.uri and k.uri.startswith("http") for k in themed)


def test_datara_geodcatap_keywords_bbox_licence_lineage(shared_fixtures: Path) -> None:
    r = record(shared_fixtures, "udata/datara_geodcatap_5a26b0f6.rdf.xml")
    assert r.title == "Campings issus de la BDTopo de Auvergne Rhône-Alpes"
    structure = [k for k in r.keywords if k.label == "structure"]
    assert (
        structure[0].uri == "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/structure"
    )
    assert structure[0].thesaurus_uri == (
        "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory"
    )
    box = r.bboxes[0]
    assert (round(box.west, 2), round(box.south, 2), round(box.east, 2), round(box.north, 2)) == (
        2.06,
        44.12,
        7.19,
        46.8,
    )
    assert r.licence == "Ayant droit IGN Bénéficiaires du RGE"
    assert r.lineage and r.lineage.startswith("requête sur le champ nature='Camping'")


def test_geodcatap_service_identity_from_catalogue_record_and_wms_endpoint(
    shared_fixtures: Path,
) -> None:
    r = record(shared_fixtures, "semic/inspire_networkservice_wms_2.0.geodcatap.rdf")
    # A blank-node service: the ISO fileIdentifier on its catalogue record is its identity.
    assert r.provenance.original_id == "123e4567-e89b-12d3-a456-426655440123"
    assert r.resource_type == "service"
    assert [(link.protocol, link.url) for link in r.links] == [
        ("OGC:WMS", "http://www.my-organisation.eu/wms")
    ]
    assert r.bboxes == [BBox(west=14.18, south=35.81, east=14.58, north=36.08)]
    assert {k.uri for k in r.keywords} >= {"https://www.eionet.europa.eu/gemet/en/concept/4614"}


def test_multilingual_title_picks_the_preferred_language(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "dcat/ckanext-dcat/dataset_multilingual.ttl").read_bytes()
    for languages, expected in ((("en",), "Test DCAT dataset"), (("es",), None)):
        items, _, _ = read_dcat_document(data, "text/turtle", "t", languages)
        title = next(items).record.title  # type: ignore[union-attr]
        if expected:
            assert title == expected
        else:
            assert title != "Test DCAT dataset"


def test_hydra_paging_is_read_from_both_vocabularies(shared_fixtures: Path) -> None:
    for name in ("paged-collection-1.jsonld", "partial-collection-1.jsonld"):
        data = (shared_fixtures / "dcat/udata" / name).read_bytes()
        items, next_url, total = read_dcat_document(data, "application/ld+json", "t")
        assert (len(list(items)), next_url, total) == (
            3,
            "http://data.test.org/catalog.jsonld?page=2",
            4,
        )


def test_wrong_content_type_still_parses(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "dcat/udata/catalog.xml").read_bytes()
    assert sniff_syntax(data) == "xml"
    graph = load_graph(data, "text/turtle")  # the server lies; the bytes are RDF/XML
    assert len(graph) > 50


def test_raw_payload_reparses_to_the_same_record(shared_fixtures: Path) -> None:
    items = harvest_file(shared_fixtures / "dcat/udata/bnodes.xml")
    for item in items:
        assert item.content_type == RAW_CONTENT_TYPE
        again, _, _ = read_dcat_document(item.raw, RAW_CONTENT_TYPE, "test")
        assert [i.record for i in again] == [item.record]
        assert item.record is not None
        assert not item.record.provenance.original_id.startswith("file:")


def test_not_rdf_and_entities_are_refused() -> None:
    with pytest.raises(SourceProtocolError):
        load_graph(b"<html><body>maintenance</body></html>", "text/html")
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    )
    with pytest.raises(UnsafeInput):
        load_graph(bomb, "application/rdf+xml")


def test_remote_json_ld_context_is_never_fetched(shared_fixtures: Path) -> None:
    # DCAT-US POD JSON names a remote @context: it is dropped, not fetched, and the document
    # (not RDF without it) is quarantined with its reason rather than causing a network call.
    path = shared_fixtures / "dcat/udata/evian_dcat_us_pod.json"
    [item] = read_dcat_file(path.read_bytes(), "application/json", "t", name=path.name)
    assert item.error and "Project Open Data" in item.error


@pytest.mark.parametrize(
    "path",
    # dataset.ttl is not valid Turtle: see the quarantine test below.
    [p for p in FILES if p.suffix in (".rdf", ".xml", ".ttl") and p.name != "dataset.ttl"],
    ids=lambda p: str(p.relative_to(DCAT_DIR)),
)
def test_streamed_reading_gives_the_same_records_as_one_graph(
    shared_fixtures: Path, path: Path
) -> None:
    """The bounded-memory reader (used above stream_above_mib) and the whole-graph reader
    agree on every real document both can read."""
    data = path.read_bytes()
    whole = list(read_dcat_document(data, None, "t", base=path.as_uri())[0])
    streamed = list(read_dcat_document(data, None, "t", base=path.as_uri(), stream_above=0)[0])
    by_id = {i.original_id: i.record for i in streamed if i.original_id}
    assert {i.original_id: i.record for i in whole if i.original_id} == by_id
    assert sum(1 for i in whole if i.error) == sum(1 for i in streamed if i.error)


def test_streaming_quarantines_the_datasets_of_a_bad_statement_with_their_ids(
    shared_fixtures: Path,
) -> None:
    # Upstream's dataset.ttl uses an undeclared prefix: as one graph the document is one
    # anonymous failure; read per dataset, each dataset is quarantined under its own id.
    data = (shared_fixtures / "dcat/ckanext-dcat/dataset.ttl").read_bytes()
    with pytest.raises(SourceProtocolError, match="healthdcatap"):
        load_graph(data, "text/turtle")
    items = list(read_dcat_document(data, "text/turtle", "t", stream_above=0)[0])
    assert "http://example.healthdata.nl/set/dataset" in [i.original_id for i in items]
    assert all(i.error and "healthdcatap" in i.error for i in items)
