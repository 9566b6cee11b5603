"""Dublin Core records (csw:Record, SummaryRecord, rdf:RDF, GeoNetwork simpledc)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from harvester.formats.dublin_core import parse_dc
from harvester.formats.xmlsafe import parse_xml
from moisson.errors import RecordRejected
from moisson.record import BBox, Contact, Identifier, Keyword, Link, Record

CSW_RECORDS = {"Record", "SummaryRecord", "BriefRecord"}


def dc_elements(shared_fixtures: Path, name: str) -> list[etree._Element]:
    root = parse_xml((shared_fixtures / "csw" / name).read_bytes())
    if etree.QName(root).localname not in {"GetRecordsResponse", "GetRecordByIdResponse"}:
        return [root]
    return [el for el in root.iter() if etree.QName(el).localname in CSW_RECORDS]


def dc(shared_fixtures: Path, name: str, index: int = 0) -> Record:
    return parse_dc(dc_elements(shared_fixtures, name)[index], "src")


def test_csw_record_fields(shared_fixtures: Path) -> None:
    record = dc(shared_fixtures, "owslib/record_9250AA67_dc.xml")
    assert record.provenance.original_id == "9250AA67-F3AC-6C12-0CB9-0662231AA181"
    assert (record.title, record.language, record.resource_type, record.formats) == (
        "ALLSPECIES",
        "eng",
        "dataset",
        ["text/xml"],
    )
    assert (record.created, record.revised) == (date(2009, 9, 3), date(2009, 9, 3))
    assert record.contacts == [
        Contact(organisation="EMAN Coordinating Office, Environment Canada", role="originator"),
        Contact(organisation="EMAN Office", role="author"),
    ]
    assert record.keywords[0] == Keyword(label="Locations: Canada > Manitoba")
    assert len(record.keywords) == 24


def test_short_epsg_4326_box_written_lat_lon_is_repaired(shared_fixtures: Path) -> None:
    # crs="EPSG:4326" is read lon/lat (as OWSLib does); this record wrote -90 -180 / 90 180.
    record = dc(shared_fixtures, "owslib/record_9250AA67_dc.xml")
    assert record.bboxes == [BBox(west=-180, south=-90, east=180, north=90)]


def test_urn_epsg_4326_box_is_lat_lon(shared_fixtures: Path) -> None:
    record = dc(shared_fixtures, "pycsw/GetRecords_dc_page3.xml", 2)
    assert record.bboxes == [BBox(west=-4.097, south=47.595, east=0.889, north=51.217)]


def test_references_become_links_and_thumbnails(shared_fixtures: Path) -> None:
    record = dc(shared_fixtures, "pycsw/GetRecordById_iso_as_dc.xml")
    assert record.links[:2] == [
        Link(url="http://oos.soest.hawaii.edu/thredds/idd/nss_pacioos.html?dataset=NS06agg"),
        Link(
            url="http://oos.soest.hawaii.edu/thredds/dodsC/pacioos/nss/ns06agg.html",
            protocol="WWW:LINK",
        ),
    ]
    assert len(record.links) == 7
    assert record.thumbnails == ["http://pacioos.org/metadata/browse/NS06agg.png"]


def test_topic_category_subjects_are_topic_categories(shared_fixtures: Path) -> None:
    record = dc(shared_fixtures, "pycsw/GetRecordById_iso_as_dc.xml")
    assert record.topic_categories == ["climatologyMeteorologyAtmosphere"]
    assert Keyword(label="climatologyMeteorologyAtmosphere") not in record.keywords


def test_double_escaped_hierarchical_subject_stays_one_keyword(shared_fixtures: Path) -> None:
    record = dc(shared_fixtures, "pycsw/GetRecordById_iso_as_dc.xml")
    assert Keyword(label="Ocean > Pacific Ocean > United States of America > Territories") in (
        record.keywords
    )


def test_rdf_wrapped_dublin_core(shared_fixtures: Path) -> None:
    record = dc(shared_fixtures, "owslib/record_9250AA67_dc_rdf.xml")
    assert record.provenance.original_id == "10.3390/rs12142299"
    assert record.identifiers == [Identifier(code="10.3390/rs12142299", codespace="doi")]
    assert (record.licence, record.resource_type) == ("Open Access", "document")
    assert record.bboxes == [BBox(west=-180, south=-90, east=180, north=90)]  # dct:spatial


def test_latin1_file_with_character_references_keeps_accents(shared_fixtures: Path) -> None:
    record = dc(shared_fixtures, "owslib/record_9250AA67_dc_rdf.xml")
    assert record.contacts[0].organisation == (
        "Joaquim Bellvert, Christian Jofre-Ĉekalović, Ana Pelechá, Mercè Mata, Hector Nieto,"
    )
    assert "(Ψstem)" in (record.abstract or "")


def test_semicolon_joined_subjects_are_split(shared_fixtures: Path) -> None:
    record = dc(shared_fixtures, "owslib/record_9250AA67_dc_rdf.xml")
    assert [k.label for k in record.keywords] == [
        "evapotranspiration",
        "TSEB",
        "Sentinel-2",
        "Sentinel-3",
        "crop water stress index",
        "vine water status",
        "grapevines",
        "Science",
    ]


def test_geonetwork_simpledc_coverage_gives_a_box(shared_fixtures: Path) -> None:
    record = dc(shared_fixtures, "records/gn_simpledc_natural_polar.xml")
    assert record.bboxes == [BBox(west=-180, south=-90, east=180, north=90)]
    assert (record.language, record.published) == ("eng", date(2000, 1, 1))


def test_summary_record_is_mapped(shared_fixtures: Path) -> None:
    record = dc(shared_fixtures, "pycsw/GetRecordById_dc_summary.xml")
    assert record.model_dump(exclude={"id", "provenance", "abstract"}, exclude_defaults=True) == {
        "title": "Mauris sed neque",
        "identifiers": [{"code": "urn:uuid:94bc9c83-97f6-4b40-9eb8-a8e8787a5c63"}],
        "keywords": [{"label": "Vegetation-Cropland"}],
        "bboxes": [{"west": -4.1, "south": 47.59, "east": 0.89, "north": 51.22}],
    }


def test_dcmi_service_type_is_a_service(shared_fixtures: Path) -> None:
    record = dc(shared_fixtures, "pycsw/GetRecords_dc_page2.xml", 0)
    assert (record.title, record.resource_type) == ("Ut facilisis justo ut lacus", "service")


def test_record_without_title_is_rejected(shared_fixtures: Path) -> None:
    element = dc_elements(shared_fixtures, "pycsw/GetRecords_dc_page1.xml")[3]
    with pytest.raises(RecordRejected, match=r"no title .*1ef30a8b"):
        parse_dc(element, "src")


def test_record_without_identifier_is_rejected(shared_fixtures: Path) -> None:
    element = dc_elements(shared_fixtures, "pycsw/GetRecords_elementname_sparse.xml")[0]
    with pytest.raises(RecordRejected, match="no dc:identifier"):
        parse_dc(element, "src")
