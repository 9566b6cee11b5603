"""OWSLib's CatalogueServiceWeb, the library QGIS MetaSearch uses, against Moisson's CSW on
loopback (the whole app, on SQLite and on OpenSearch).

Oracles are independent of the CSW code: the stored Records (words, boxes) and the JSON
API's /api/search for the same caller (access and duplicate collapse must agree).
"""

from __future__ import annotations

import re
import unicodedata

import httpx
import pytest
from lxml import etree
from owslib import fes
from owslib.catalogue.csw2 import CatalogueServiceWeb
from owslib.iso import MD_Metadata

from indexer.store import Store
from indexer.themes import load_themer
from indexer.thesaurus import label_keys
from moisson.record import Record
from tests.csw.catalogue import STAFF, Served

pytestmark = pytest.mark.integration

GMD = "http://www.isotc211.org/2005/gmd"


def _client(csw: Served, **headers: str) -> CatalogueServiceWeb:
    return CatalogueServiceWeb(csw.url, timeout=30, headers=headers or None)


def _public_records(csw: Served) -> list[Record]:
    """What an anonymous /api/search shows, page by page, as stored Records."""
    base = csw.url.rsplit("/csw", 1)[0]
    ids: list[str] = []
    page = 1
    while True:
        body = httpx.get(f"{base}/api/search", params={"size": 100, "page": page}).json()
        ids += [hit["id"] for hit in body["hits"]]
        if len(ids) >= body["total"] or not body["hits"]:
            break
        page += 1
    store = Store(csw.settings.store.url).open()
    try:
        return [store.get(i) for i in ids]
    finally:
        store.close()


def _words(record: Record) -> set[str]:
    text = " ".join([record.title, record.abstract or "", *(k.label for k in record.keywords)])
    plain = unicodedata.normalize("NFKD", text.lower())
    return set(re.findall(r"\w+", "".join(c for c in plain if not unicodedata.combining(c))))


def _page_all(client: CatalogueServiceWeb, constraints: list, size: int, **kwargs) -> list[str]:
    found: list[str] = []
    start = 0  # as MetaSearch starts
    while True:
        client.getrecords2(constraints=constraints, startposition=start, maxrecords=size, **kwargs)
        found += list(client.records)
        next_record = int(client.results["nextrecord"])
        assert int(client.results["returned"]) <= size
        if next_record == 0:
            break
        assert next_record == max(start, 1) + int(client.results["returned"])
        start = next_record
    return found


def test_capabilities_announce_both_schemas_and_the_queryables(csw: Served) -> None:
    client = _client(csw)
    assert client.identification.type == "CSW"
    assert client.identification.version == "2.0.2"
    assert client.identification.title == csw.settings.csw.title
    names = [op.name for op in client.operations]
    assert {"GetCapabilities", "GetRecords", "GetRecordById", "DescribeRecord", "GetDomain"} <= set(
        names
    )
    get_records = client.get_operation_by_name("GetRecords")
    assert set(get_records.parameters["outputSchema"]["values"]) == {
        "http://www.opengis.net/cat/csw/2.0.2",
        GMD,
    }
    assert "apiso:AnyText" in get_records.constraints[1].values
    assert "csw:AnyText" in get_records.constraints[0].values


def test_paging_through_every_record_gives_what_the_json_api_shows(csw: Served) -> None:
    expected = sorted(r.provenance.original_id for r in _public_records(csw))
    client = _client(csw)
    client.getrecords2(esn="brief", maxrecords=0, resulttype="hits")
    assert int(client.results["matches"]) == len(expected)
    seen = _page_all(client, [], 7, esn="brief")
    assert sorted(seen) == expected
    assert len(seen) == len(set(seen))


def test_anytext_like_matches_the_records_holding_the_word(csw: Served) -> None:
    public = _public_records(csw)
    expected = sorted(
        r.provenance.original_id for r in public if any(w.startswith("lorem") for w in _words(r))
    )
    assert expected, "the CITE records hold 'Lorem'"
    client = _client(csw)
    like = fes.PropertyIsLike("csw:AnyText", "%Lorem%")
    assert sorted(_page_all(client, [like], 3, esn="summary")) == expected


def _intersects(record: Record, west: float, south: float, east: float, north: float) -> bool:
    return any(
        b.west <= east and b.east >= west and b.south <= north and b.north >= south
        for b in record.bboxes
    )


@pytest.mark.parametrize("crs", ["urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:OGC:1.3:CRS84"])
def test_bbox_in_either_axis_order_selects_the_intersecting_records(csw: Served, crs: str) -> None:
    west, south, east, north = -6.0, 41.0, 10.0, 51.5  # France
    public = _public_records(csw)
    expected = sorted(
        r.provenance.original_id for r in public if _intersects(r, west, south, east, north)
    )
    assert 0 < len(expected) < len(public)
    corners = [south, west, north, east] if "EPSG" in crs else [west, south, east, north]
    client = _client(csw)
    found = _page_all(client, [fes.BBox(corners, crs=crs)], 10, esn="brief")
    assert sorted(found) == expected


def test_and_or_combinations_follow_boolean_logic(csw: Served) -> None:
    public = _public_records(csw)
    france = (-6.0, 41.0, 10.0, 51.5)
    lorem = {
        r.provenance.original_id for r in public if any(w.startswith("lorem") for w in _words(r))
    }
    boxed = {r.provenance.original_id for r in public if _intersects(r, *france)}
    bbox = fes.BBox([france[1], france[0], france[3], france[2]], crs="urn:ogc:def:crs:EPSG::4326")
    like = fes.PropertyIsLike("csw:AnyText", "%lorem%")
    client = _client(csw)
    assert set(_page_all(client, [[like, bbox]], 10)) == lorem & boxed  # nested list: And
    assert set(_page_all(client, [like, bbox], 10)) == lorem | boxed  # flat list: Or
    assert lorem & boxed and lorem - boxed and boxed - lorem  # each case can fail


def test_get_record_by_id_in_both_schemas_parses_with_owslib(csw: Served) -> None:
    public = _public_records(csw)
    client = _client(csw)
    for record in public:
        ident = record.provenance.original_id
        client.getrecordbyid([ident], esn="full")
        dc = client.records[ident]
        assert dc.identifier == ident
        assert dc.title == record.title
        client.getrecordbyid([ident], outputschema=GMD)
        iso = client.records[ident]
        assert isinstance(iso, MD_Metadata)
        assert iso.identifier == ident
        assert iso.identification[0].title.strip() == record.title.strip()


def test_several_ids_come_back_in_the_order_asked(csw: Served) -> None:
    ids = [r.provenance.original_id for r in _public_records(csw)][:4]
    client = _client(csw)
    client.getrecordbyid(list(reversed(ids)), esn="brief")
    assert list(client.records) == list(reversed(ids))


def test_restricted_records_are_seen_by_their_role_only(csw: Served) -> None:
    anonymous = _client(csw)
    staff = _client(csw, **{"sec-username": "ana", "sec-roles": STAFF})
    anonymous.getrecords2(maxrecords=0, resulttype="hits")
    staff.getrecords2(maxrecords=0, resulttype="hits")
    hidden = "3e9a8c05"  # an ISO AP record; that source is restricted to ROLE_STAFF
    assert int(staff.results["matches"]) > int(anonymous.results["matches"])
    anonymous.getrecordbyid([hidden])
    assert hidden not in anonymous.records
    staff.getrecordbyid([hidden])
    assert hidden in staff.records
    anonymous.getrecords2([fes.PropertyIsEqualTo("dc:identifier", hidden)])
    assert int(anonymous.results["matches"]) == 0


def test_themes_and_wms_links_reach_both_schemas(csw: Served) -> None:
    themed = [
        r
        for r in _public_records(csw)
        if r.themes and any((link.protocol or "").upper() == "OGC:WMS" for link in r.links)
    ]
    assert themed, "the sample records have themed records with WMS links"
    record = themed[0]
    ident = record.provenance.original_id
    scheme_uri = load_themer(csw.settings.themes).thesaurus.scheme
    client = _client(csw)
    client.getrecordbyid([ident], esn="full")
    assert any(ref["scheme"] == "OGC:WMS" for ref in client.records[ident].references)
    body = httpx.get(
        csw.url,
        params={
            "service": "CSW",
            "version": "2.0.2",
            "request": "GetRecordById",
            "id": ident,
            "elementSetName": "full",
        },
    ).content
    subjects = etree.fromstring(body).findall(".//{http://purl.org/dc/elements/1.1/}subject")
    themed_subjects = {s.text for s in subjects if s.get("scheme") == scheme_uri}
    assert len(themed_subjects) == len(record.themes)
    client.getrecordbyid([ident], outputschema=GMD)
    iso = client.records[ident]
    assert "OGC:WMS" in {o.protocol for o in iso.distribution.online}
    blocks = [
        b for b in iso.identification[0].keywords if (b.thesaurus or {}).get("url") == scheme_uri
    ]
    assert blocks, "a descriptiveKeywords block cites the company thesaurus"
    assert {k.name for k in blocks[0].keywords} == themed_subjects
    assert {k.url for k in blocks[0].keywords} == {t.uri for t in record.themes}


def test_a_plain_anytext_phrase_is_expanded_through_the_thesaurus(csw: Served) -> None:
    """'zones humides' (French) also finds records only filed under that concept, as in
    /api/search; the words themselves need not be in the record."""
    themer = load_themer(csw.settings.themes)
    concepts = {
        e[0] for key in label_keys("zones humides") for e in themer.thesaurus.by_label.get(key, [])
    }
    assert concepts
    filed = {
        r.provenance.original_id
        for r in _public_records(csw)
        if any(t.id in concepts or set(t.broader) & concepts for t in r.themes)
    }
    without_words = {
        r.provenance.original_id for r in _public_records(csw) if "humides" not in _words(r)
    }
    assert filed & without_words, "some filed record does not say 'zones humides'"
    client = _client(csw)
    found = set(_page_all(client, [fes.PropertyIsLike("csw:AnyText", "zones humides")], 10))
    assert filed <= found
