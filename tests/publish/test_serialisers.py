"""Every sample and fixture record (the four source kinds, through the real readers)
serialises in every published format: ISO 19139, OGC API Records GeoJSON (valid against
the official Records schemas), DCAT-AP (0 SHACL violations against the official DCAT-AP
3.0.1 shapes and ranges and the GeoDCAT-AP 2.0.0 shapes), in every RDF syntax offered."""

from __future__ import annotations

import io
from functools import cache

import pytest
from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import DCAT, RDF, SH

from moisson.record import Record
from publish.dcat import CatalogInfo, catalog_graph, dump_ntriples, record_graph
from publish.geojson import record_feature
from publish.iso_raw import iso_document
from tests.conftest import SHARED_FIXTURES, require
from tests.publish import records_schemas
from tests.publish.corpus import fixture_items, sample_items, scheme

SHAPES = ("dcat-ap-3.0.1_shapes.ttl", "dcat-ap-3.0.1_range.ttl", "geodcat-ap-2.0.0.shacl.ttl")
CATALOG = CatalogInfo(base="http://127.0.0.1:8080", sources={"sample-csw": "file:///samples"})


def _records() -> list[Record]:
    fixtures = fixture_items()
    require(bool(fixtures), f"shared fixtures not found at {SHARED_FIXTURES}")
    unique = {r.id: r for r, _ in [*sample_items(), *fixtures]}  # a store holds one per id
    return list(unique.values())


@cache
def shapes() -> Graph:
    graph = Graph()
    for name in SHAPES:
        graph.parse(SHARED_FIXTURES / "shacl" / name)
    return graph


def test_every_record_serialises_as_iso_geojson_and_dcat() -> None:
    records = _records()
    kinds = {r.provenance.source_id.split("-")[0] for r in records}
    assert {"csw", "dcat", "ckan", "ogcapi", "sample"} <= kinds
    for record in records:
        assert iso_document(record, scheme()).startswith(b"<?xml")
        assert record_feature(record, scheme())["id"] == record.id
        for syntax in ("turtle", "xml", "json-ld", "nt"):
            assert record_graph(record, scheme(), CATALOG).serialize(format=syntax)


def test_every_record_is_a_valid_records_geojson_feature() -> None:
    require(records_schemas.available(), "OGC API Records schemas not found in shared fixtures")
    for record in _records():
        feature = record_feature(record, scheme())
        assert records_schemas.errors("core/recordGeoJSON.yaml", feature) == [], record.id


def test_the_schema_validator_catches_a_broken_record() -> None:
    require(records_schemas.available(), "OGC API Records schemas not found in shared fixtures")
    feature = record_feature(_records()[0], scheme())
    feature["properties"]["themes"] = [{"concepts": []}]  # no scheme, no concept
    assert records_schemas.errors("core/recordGeoJSON.yaml", feature)


def test_every_record_as_dcat_ap_has_no_shacl_violation() -> None:
    require((SHARED_FIXTURES / "shacl").is_dir(), "SHACL shapes not found in shared fixtures")
    graph = catalog_graph(((r, ()) for r in _records()), scheme(), CATALOG)
    conforms, report, text = validate(
        graph, shacl_graph=shapes(), inference="none", allow_warnings=True
    )
    violations = list(report.subjects(SH.resultSeverity, SH.Violation))
    assert not violations, text[:3000]
    assert conforms


@pytest.mark.parametrize("drop", ["title", "description"])
def test_shacl_catches_a_dataset_without_a_mandatory_property(drop: str) -> None:
    require((SHARED_FIXTURES / "shacl").is_dir(), "SHACL shapes not found in shared fixtures")
    from rdflib.namespace import DCTERMS

    graph = record_graph(_records()[0], scheme(), CATALOG)
    graph.remove((None, DCTERMS[drop], None))
    conforms, _, _ = validate(graph, shacl_graph=shapes(), inference="none")
    assert not conforms


def test_the_streamed_dump_is_one_valid_catalogue() -> None:
    require((SHARED_FIXTURES / "shacl").is_dir(), "SHACL shapes not found in shared fixtures")
    records = _records()
    out = io.BytesIO()
    assert dump_ntriples(iter(records), scheme(), CATALOG, out) == len(records)
    graph = Graph().parse(data=out.getvalue(), format="nt")
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    members = {*graph.objects(catalog, DCAT.dataset), *graph.objects(catalog, DCAT.service)}
    assert len(members) == len(records)
    _, report, text = validate(graph, shacl_graph=shapes(), inference="none", allow_warnings=True)
    assert not list(report.subjects(SH.resultSeverity, SH.Violation)), text[:3000]
