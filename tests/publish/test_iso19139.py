"""ISO 19139 out: every sample and fixture record, generated as gmd:MD_Metadata, reads back
the same through Moisson's own ISO parser and through OWSLib's MD_Metadata (what QGIS
MetaSearch uses); the raw-payload path is byte-for-byte or an enriched copy."""

from __future__ import annotations

from lxml import etree
from owslib.iso import MD_Metadata

from harvester.formats.iso19139 import parse_iso
from harvester.formats.xmlsafe import parse_xml
from moisson.record import Keyword, Record
from publish.iso19139 import TOPIC_CATEGORIES, iso_element, iso_links
from publish.iso_raw import iso_document, raw_iso_element
from publish.scheme import theme_label
from tests.conftest import require
from tests.csw.schemas import iso_errors
from tests.publish.corpus import fixture_items, sample_items, scheme

SCHEME_URI = "https://w3id.org/moisson/theme"


def _records() -> list[Record]:
    fixtures = fixture_items()
    require(bool(fixtures), "shared fixtures not found (../shared/fixtures)")
    return [r for r, _ in sample_items()] + [r for r, _ in fixtures]


def _theme_keywords(record: Record) -> list[Keyword]:
    return [
        Keyword(
            label=theme_label(t, record.language),
            uri=t.uri,
            thesaurus=scheme().title(record.language),
            thesaurus_uri=SCHEME_URI,
        )
        for t in record.themes
    ]


def _grouped(keywords: list[Keyword]) -> list[Keyword]:
    """Keywords in ISO order: one descriptiveKeywords block per thesaurus and per kind
    (Anchor or plain), in first-seen order."""
    groups: dict[tuple[str | None, str | None, bool], list[Keyword]] = {}
    for k in keywords:
        groups.setdefault((k.thesaurus, k.thesaurus_uri, k.uri is not None), []).append(k)
    return [k for group in groups.values() for k in group]


def test_generated_iso_reads_back_the_same_through_moisson_parser() -> None:
    records = _records()
    assert len(records) > 100
    for record in records:
        xml = iso_document(record, scheme())
        back = parse_iso(parse_xml(xml), record.provenance.source_id)
        assert back.provenance.original_id == record.provenance.original_id
        assert back.title == record.title
        assert back.abstract == (record.abstract or record.title)
        # ISO cites a thesaurus by title: one known only by URI is titled with its URI.
        own = [
            k.model_copy(update={"thesaurus": k.thesaurus or k.thesaurus_uri})
            for k in _grouped(record.keywords)
            if k.thesaurus_uri != SCHEME_URI
        ]
        assert back.keywords == own + _theme_keywords(record), record.id
        assert back.bboxes == record.bboxes, record.id
        assert back.temporal == record.temporal, record.id
        assert (back.created, back.published, back.revised) == (
            record.created,
            record.published,
            record.revised,
        )
        # Links with no xs:anyURI address (RDF blank nodes) are left out of ISO.
        assert [(k.url, k.protocol, k.name) for k in back.links] == [
            (k.url, k.protocol, k.name) for k in iso_links(record.links)
        ], record.id
        assert back.resource_type == record.resource_type
        assert back.identifiers == record.identifiers
        assert back.lineage == record.lineage
        if record.licence:  # the parser names it licence only when its words say so
            assert record.licence in back.constraints


def test_generated_iso_reads_back_the_same_through_owslib() -> None:
    for record in _records():
        md = MD_Metadata(etree.fromstring(iso_document(record, scheme())))
        ident = md.identification[0]
        assert md.identifier == record.provenance.original_id
        assert ident.title == record.title
        assert ident.abstract == (record.abstract or record.title)
        labels = [k.name for block in ident.keywords for k in block.keywords]
        expected = [k.label for k in _grouped(record.keywords) if k.thesaurus_uri != SCHEME_URI]
        assert labels == expected + [k.label for k in _theme_keywords(record)]
        if record.bboxes:
            box = ident.bbox  # OWSLib reads the first box
            first = record.bboxes[0]
            got = [float(box.minx), float(box.miny), float(box.maxx), float(box.maxy)]
            assert got == first.as_list()
        dates = {d.type: d.date for d in ident.date}
        for kind, value in (
            ("creation", record.created),
            ("publication", record.published),
            ("revision", record.revised),
        ):
            assert dates.get(kind) == (value.isoformat() if value else None)
        if record.temporal:
            start = record.temporal.start.isoformat() if record.temporal.start else None
            end = record.temporal.end.isoformat() if record.temporal.end else None
            assert (ident.temporalextent_start or None, ident.temporalextent_end or None) == (
                start,
                end,
            )
        online = md.distribution.online if md.distribution else []
        assert [o.url for o in online] == [link.url for link in iso_links(record.links)]
        wms = [o for o in online if o.protocol == "OGC:WMS"]
        assert len(wms) == sum(1 for link in record.links if link.protocol == "OGC:WMS")


def test_company_themes_block_cites_the_thesaurus_with_anchors() -> None:
    record = next(r for r, _ in sample_items() if r.themes and r.resource_type == "dataset")
    root = iso_element(record, scheme())
    ns = {
        "gmd": "http://www.isotc211.org/2005/gmd",
        "gmx": "http://www.isotc211.org/2005/gmx",
        "xlink": "http://www.w3.org/1999/xlink",
    }
    blocks = root.xpath(
        "//gmd:MD_Keywords[gmd:thesaurusName/*/gmd:title/gmx:Anchor/@xlink:href=$uri]",
        namespaces=ns,
        uri=SCHEME_URI,
    )
    assert len(blocks) == 1
    anchors = blocks[0].xpath("gmd:keyword/gmx:Anchor/@xlink:href", namespaces=ns)
    assert anchors == [t.uri for t in record.themes]
    title = blocks[0].xpath("gmd:thesaurusName/*/gmd:title/gmx:Anchor/text()", namespaces=ns)
    assert title == [scheme().title(record.language)]
    assert blocks[0].xpath("gmd:thesaurusName/*/gmd:date", namespaces=ns)


def test_raw_payload_is_served_byte_for_byte_without_themes() -> None:
    record, item = next((r, i) for r, i in sample_items() if i.content_type.endswith("xml"))
    plain = record.model_copy(update={"themes": []})
    assert iso_document(plain, scheme(), (item.raw, item.content_type)) == item.raw


def test_raw_payload_is_enriched_with_the_company_themes_once() -> None:
    for record, item in sample_items() + fixture_items():
        if item is None or not record.themes:
            continue
        if raw_iso_element(item.raw, item.content_type, record.provenance.original_id) is None:
            continue
        once = iso_document(record, scheme(), (item.raw, item.content_type))
        back = parse_iso(parse_xml(once), record.provenance.source_id)
        ours = [k for k in back.keywords if k.thesaurus_uri == SCHEME_URI]
        assert [k.uri for k in ours] == [t.uri for t in record.themes]
        assert back.provenance.original_id == record.provenance.original_id
        assert back.title == record.title
        assert back.links == record.links
        # Enriching an already enriched payload (Moisson harvesting Moisson) adds no copy.
        twice = iso_document(record, scheme(), (once, "application/xml"))
        again = parse_iso(parse_xml(twice), record.provenance.source_id)
        assert again.keywords == back.keywords


def test_non_iso_payloads_are_generated() -> None:
    record, item = next((r, i) for r, i in sample_items() if "json" in i.content_type)
    xml = iso_document(record, scheme(), (item.raw, item.content_type))
    assert parse_iso(parse_xml(xml), "x").title == record.title


def test_every_generated_record_validates_against_the_iso_schemas() -> None:
    """The whole corpus, generated, against the ISO 19139 XSDs pycsw ships (the CSW test
    checks only the CITE records): language, element order, srv: code lists, topic
    categories, decimals and URLs as the schemas want them."""
    records = _records()
    invalid = {}
    for record in records:
        errors = iso_errors(iso_element(record, scheme()))
        if errors:
            invalid[record.id] = errors[:2]
    assert invalid == {}


def test_generated_data_identification_always_has_a_language() -> None:
    records = [r for r in _records() if r.resource_type != "service"]
    assert any(r.language is None for r in records)  # the nil case is exercised
    gmd = "{http://www.isotc211.org/2005/gmd}"
    for record in records:
        ident = iso_element(record, scheme()).find(f"{gmd}identificationInfo/*")
        assert ident is not None
        language = ident.find(f"{gmd}language")
        assert language is not None, record.id
        names = [etree.QName(child).localname for child in ident]
        after = names[names.index("language") :]
        assert set(after) <= {"language", "characterSet", "topicCategory", "extent"}, record.id
        categories = [c.text for c in ident.iter(f"{gmd}MD_TopicCategoryCode")]
        assert set(categories) <= TOPIC_CATEGORIES, record.id


def test_generated_time_periods_have_ids_unique_across_records() -> None:
    """gml:id is an xs:ID, and one CSW response holds many generated records."""
    gml = "{http://www.opengis.net/gml}"
    ids = {  # the corpus holds some records twice (one fixture in two sets): one per id
        record.id: [
            p.get(f"{gml}id") for p in iso_element(record, scheme()).iter(f"{gml}TimePeriod")
        ]
        for record in _records()
        if record.temporal is not None
    }
    flat = [i for found in ids.values() for i in found]
    assert len(ids) >= 2
    assert len(flat) == len(ids)
    assert len(set(flat)) == len(flat)
