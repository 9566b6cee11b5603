"""read_document: CSW responses and record files split into Harvested items."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harvester.formats.csw_response import read_document
from harvester.formats.xmlsafe import parse_xml
from moisson.errors import SourceProtocolError

# A document holds ISO records when an ISO record element opens in it (19139, 19115-2,
# geocat.ch profile, 19115-3), whatever namespaces its envelope merely declares.
ISO_RECORD = re.compile(rb"<(?:[\w.-]+:)?(?:MD_Metadata|MI_Metadata|CHE_MD_Metadata)[\s>]")
NOT_RECORDS = re.compile(r"GetCapabilities|ExceptionReport")

# Observed over the shared fixtures: update deliberately, never to make a regression pass.
ISO_RECORDS_MAPPED = 56
ISO_RECORDS_QUARANTINED = 0


def iso_documents(root: Path) -> list[Path]:
    return sorted(
        path
        for path in (root / "csw").rglob("*.xml")
        if not NOT_RECORDS.search(path.name) and ISO_RECORD.search(path.read_bytes())
    )


def test_every_iso_fixture_maps_or_is_quarantined_with_a_reason(shared_fixtures: Path) -> None:
    mapped = quarantined = 0
    for path in iso_documents(shared_fixtures):
        doc = read_document(path.read_bytes(), "fixtures")
        good = [item.record for item in doc.items if item.record is not None]
        bad = [item for item in doc.items if item.record is None]
        print(f"{path.relative_to(shared_fixtures)}: {len(good)} records, {len(bad)} quarantined")
        assert doc.items, path
        for record in good:
            assert record.provenance.original_id and record.title, path
        for item in bad:
            assert item.error, path
        mapped += len(good)
        quarantined += len(bad)
    print(f"total: {mapped} records, {quarantined} quarantined")
    assert (mapped, quarantined) == (ISO_RECORDS_MAPPED, ISO_RECORDS_QUARANTINED)


@pytest.mark.parametrize(
    ("page", "returned", "next_record"),
    [
        ("GetRecords_dc_page1.xml", 4, 5),
        ("GetRecords_dc_page2.xml", 4, 9),
        ("GetRecords_dc_page3.xml", 4, 0),
    ],
)
def test_paging_numbers_are_read(
    shared_fixtures: Path, page: str, returned: int, next_record: int
) -> None:
    doc = read_document((shared_fixtures / "csw/pycsw" / page).read_bytes(), "pycsw")
    assert (doc.matched, doc.returned, doc.next_record, doc.schema) == (
        12,
        returned,
        next_record,
        "dc",
    )
    assert len(doc.items) == returned


def test_hits_response_has_numbers_and_no_items(shared_fixtures: Path) -> None:
    doc = read_document((shared_fixtures / "csw/pycsw/GetRecords_hits.xml").read_bytes(), "p")
    assert (doc.items, doc.matched, doc.returned, doc.next_record, doc.schema) == (
        [],
        12,
        0,
        6,
        "dc",
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("ExceptionReport_bad_sortby.xml", "InvalidParameterValue (locator sortby)"),
        ("ExceptionReport_invalid_request.xml", "InvalidParameterValue (locator request)"),
        ("ExceptionReport_invalid_xml.xml", "NoApplicableCode (locator service)"),
    ],
)
def test_exception_report_is_a_protocol_error(shared_fixtures: Path, name: str, code: str) -> None:
    with pytest.raises(SourceProtocolError, match=re.escape(code)):
        read_document((shared_fixtures / "csw/pycsw" / name).read_bytes(), "pycsw")


def test_capabilities_document_is_not_a_record_response(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "csw/geonetwork/GetCapabilities_geonetwork.xml").read_bytes()
    with pytest.raises(SourceProtocolError, match="Capabilities"):
        read_document(data, "gn")


def test_bad_record_is_quarantined_and_the_page_goes_on(shared_fixtures: Path) -> None:
    doc = read_document((shared_fixtures / "csw/pycsw/GetRecords_dc_page1.xml").read_bytes(), "p")
    assert [(item.original_id, item.error) for item in doc.items] == [
        ("urn:uuid:66ae76b7-54ba-489b-a582-0f0633d96493", None),
        ("urn:uuid:784e2afd-a9fd-44a6-9a92-a3848371c8ec", None),
        ("urn:uuid:e9330592-0932-474b-be34-c3a3bb67c7db", None),
        (
            "urn:uuid:1ef30a8b-876d-4828-9246-c37ab4510bbd",
            "no title in Dublin Core record 'urn:uuid:1ef30a8b-876d-4828-9246-c37ab4510bbd'",
        ),
    ]


def test_dcat_inside_csw_is_quarantined_as_unsupported(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "csw/udata/geonetwork_fr_dcat_page1.xml").read_bytes()
    doc = read_document(data, "gn")
    assert doc.schema == "unsupported"
    assert [item.error for item in doc.items] == [
        "unsupported record schema {http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF "
        "(DCAT: harvest it with a DCAT source)"
    ] * 2


def test_raw_is_the_records_own_standalone_bytes(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "csw/udata/geonetwork_fr_iso19139_page1.xml").read_bytes()
    doc = read_document(data, "gn")
    for item in doc.items:
        assert parse_xml(item.raw).tag == "{http://www.isotc211.org/2005/gmd}MD_Metadata"
        again = read_document(item.raw, "gn").items[0]
        assert again.record == item.record


def test_bare_record_file_is_one_item(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "csw/owslib/geobretagne_fr_mdmetadata.xml").read_bytes()
    doc = read_document(data, "geobretagne")
    assert (len(doc.items), doc.matched, doc.next_record, doc.schema) == (1, None, None, "iso19139")
    record = doc.items[0].record
    assert record is not None
    assert record.provenance.source_id == "geobretagne"
    assert doc.items[0].original_id == "955c3e47-411e-4969-b61b-3556d1b9f879"
    assert doc.items[0].raw == data  # kept as received, not re-serialised


def test_iso19115_3_page_is_read(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "csw/pycsw/GetRecords_iso19115-3_mdb.xml").read_bytes()
    doc = read_document(data, "pycsw")
    assert doc.schema == "iso19115-3"
    assert [item.original_id for item in doc.items] == ["5ebc3cb7-a3b5-4760-a8ff-851d5d5beb32"]


def test_duplicate_ids_in_a_page_are_kept_as_separate_items(shared_fixtures: Path) -> None:
    # pycsw's harvest outputs give every record the literal id PYCSW_IDENTIFIER.
    data = (shared_fixtures / "csw/pycsw/GetRecords_iso_from_wms_harvest.xml").read_bytes()
    doc = read_document(data, "pycsw")
    assert [item.original_id for item in doc.items] == ["PYCSW_IDENTIFIER"] * 4
    assert all(item.record is not None for item in doc.items)
