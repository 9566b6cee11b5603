"""Moisson reads back what it publishes, without a server: every sample and fixture record
written as OGC API Records GeoJSON and read by the `ogcapi-records` reader, and written as
DCAT-AP and read by the `dcat` reader, keeps its title, boxes, dates and links (the HTTP
round trips through the endpoints are in tests/publish/test_*_endpoint.py)."""

from __future__ import annotations

from rdflib import Graph

from harvester.formats.dcat import read_graph
from harvester.formats.ogcapi_records import harvest_feature
from moisson.record import Link, Record
from publish.dcat import CatalogInfo, publishable, record_graph
from publish.geojson import record_feature
from tests.conftest import require
from tests.publish.corpus import fixture_items, sample_items, scheme

CATALOG = CatalogInfo(base="http://127.0.0.1:8080")


def _records() -> list[Record]:
    fixtures = fixture_items()
    require(bool(fixtures), "shared fixtures not found (../shared/fixtures)")
    return list({r.id: r for r, _ in [*sample_items(), *fixtures]}.values())


def _urls(links: list[Link]) -> list[tuple[str, str | None]]:
    """(url, protocol); a link without protocol is published as a related web page, and
    read back as one (WWW:LINK)."""
    return [(link.url.strip(), link.protocol or "WWW:LINK") for link in links]


def test_geojson_reads_back_through_the_ogcapi_records_reader() -> None:
    for record in _records():
        item = harvest_feature(record_feature(record, scheme()), "again")
        back = item.record
        assert back is not None, item.error
        assert back.provenance.original_id == record.id
        assert back.title == record.title
        assert back.abstract == record.abstract
        assert back.bboxes == record.bboxes, record.id
        assert back.temporal == record.temporal
        assert (back.created, back.revised) == (record.created, record.revised)
        assert back.resource_type == record.resource_type
        assert _urls(back.links) == _urls(record.links), record.id
        assert {k.uri for k in back.keywords if k.uri} >= {t.uri for t in record.themes}
        labels = {k.label for k in back.keywords}
        assert {k.label for k in record.keywords} <= labels, record.id


def test_dcat_reads_back_through_the_dcat_reader() -> None:
    for record in _records():
        graph = Graph().parse(
            data=record_graph(record, scheme(), CATALOG).serialize(format="turtle"),
            format="turtle",
        )
        items = list(read_graph(graph, "again"))
        assert len(items) == 1, record.id
        back = items[0].record
        assert back is not None, items[0].error
        assert back.title == record.title
        assert back.abstract == (record.abstract or record.title)
        assert sorted(b.as_list() for b in back.bboxes) == sorted(
            b.as_list() for b in record.bboxes
        ), record.id
        assert back.temporal == record.temporal
        assert (back.created, back.published, back.revised) == (
            record.created,
            record.published,
            record.revised,
        )
        published = {u for u, _ in _urls(record.links) if publishable(u)}
        assert {u for u, _ in _urls(back.links)} == published, record.id
        theme_uris = {k.uri for k in back.keywords if k.uri}
        assert {t.uri for t in record.themes} <= theme_uris, record.id
