"""ISO 19139 / 19115-2 / profiles / 19115-3 records mapped from the shared fixtures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from harvester.formats.iso19139 import ISO_NS, parse_iso
from harvester.formats.iso_mapping import select
from harvester.formats.xmlsafe import parse_xml
from moisson.errors import RecordRejected
from moisson.record import BBox, Contact, Identifier, Keyword, Link, Record, TemporalExtent

RECORD_TAGS = {"MD_Metadata", "MI_Metadata", "CHE_MD_Metadata"}


def iso_root(shared_fixtures: Path, name: str, index: int = 0) -> etree._Element:
    """The index-th ISO record element of a fixture, whether standalone or in a response."""
    root = parse_xml((shared_fixtures / "csw" / name).read_bytes())
    found = [el for el in root.iter() if etree.QName(el).localname in RECORD_TAGS]
    return found[index]


def matching(root: etree._Element, path: str) -> list[etree._Element]:
    return select(etree.XPath(path, namespaces=ISO_NS), root)


def remove(root: etree._Element, path: str) -> None:
    """Bend a real record the way a careless editor would: drop what `path` selects."""
    for element in matching(root, path):
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)


def iso(shared_fixtures: Path, name: str, index: int = 0) -> Record:
    return parse_iso(iso_root(shared_fixtures, name, index), "src")


def test_anchor_keyword_keeps_its_uri_and_thesaurus_uri(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "owslib/nl_inspire_anchors.xml")
    assert record.keywords[0] == Keyword(
        label="Gebiedsbeheer, gebieden waar beperkingen gelden, gereguleerde gebieden en "
        "rapportage-eenheden",
        uri="http://www.eionet.europa.eu/gemet/nl/inspire-theme/am",
        thesaurus="GEMET - INSPIRE themes, version 1.0",
        thesaurus_uri="http://www.eionet.europa.eu/gemet/inspire_themes",
    )


def test_plain_keywords_have_no_uri_or_thesaurus(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "owslib/nl_inspire_anchors.xml")
    labels = ("Eems-Dollardverdrag", "Eems", "Dollard", "basisset NOVEX")
    assert record.keywords[1:5] == [Keyword(label=label) for label in labels]


def test_every_bounding_box_of_a_record_is_kept(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "records/gn_metadata_iso19139_6bbox_anchors.xml")
    assert [b.as_list() for b in record.bboxes] == [
        [-31.561261, 27.405827, 44.820775, 71.409109],
        [-61.906047, 15.736333, -60.905616, 16.607552],
        [-54.268239, 3.772692, -51.621253, 5.851958],
        [-61.326095, 14.29692, -60.711516, 14.970484],
        [44.927382, -13.089579, 45.390135, -12.546691],
        [55.114983, -21.482245, 55.935919, -20.77811],
    ]


def test_links_have_normalised_protocols_and_layer_names(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "geonetwork/GetRecordById_7e926fbf.xml")
    download = (
        "http://localhost:8080/geonetwork/srv/en/resources.get?"
        "uuid=78f93047-74f8-4419-ac3d-fc62e4b0477b&fname=phy.zip&access=private"
    )
    assert record.links == [
        Link(
            url=download,
            protocol="download",
            name="phy.zip",
            description="Physiography of North and Central Eurasia Landform (Gif\nFormat)",
        ),
        *(
            Link(
                url=f"http://geonetwork3.fao.org/ows/7386_{suffix}",
                protocol="OGC:WMS",
                name=layer,
                description=f"Physiography of North and Central Eurasia {label}",
            )
            for suffix, layer, label in (
                ("landf", "landform", "Landform"),
                ("slope", "slope", "Slope"),
                ("hypso", "hypsography", "Hypsography"),
            )
        ),
    ]


def test_temporal_extent_is_read(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "geonetwork/GetRecordById_7e926fbf.xml")
    assert record.temporal == TemporalExtent(start=date(2000, 1, 1), end=date(2008, 1, 8))


def test_open_ended_period_keeps_an_open_end(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "records/semic_identifiers_anchor.xml")
    assert record.temporal == TemporalExtent(start=date(2019, 4, 29), end=None)


def test_citation_dates_and_date_stamp(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "geonetwork/GetRecordById_7e926fbf.xml")
    assert (record.created, record.published, record.revised, record.metadata_date) == (
        None,
        date(1999, 10, 1),
        None,
        date(2007, 11, 6),
    )


def test_contacts_come_from_metadata_contact_and_point_of_contact(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "geonetwork/GetRecordById_7e926fbf.xml")
    assert record.contacts == [
        Contact(
            organisation="FAO - Land and Water Development Division",
            name="Marina Zanetti",
            role="pointOfContact",
        ),
        Contact(
            organisation="FAO - Land and Water Development Division",
            name="Nachtergaele Freddy",
            email="Freddy.Nachtergaele@fao.org",
            role="pointOfContact",
        ),
    ]


def test_empty_character_strings_are_ignored(shared_fixtures: Path) -> None:
    # language, otherConstraints and lineage statement are all <gco:CharacterString/> here.
    record = iso(shared_fixtures, "geonetwork/GetRecordById_7e926fbf.xml")
    assert (record.language, record.lineage, record.constraints) == (None, None, ["copyright"])


def test_lineage_statement_is_read(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "geonetwork/GetRecordById_da165110_basins.xml")
    assert record.lineage is not None
    assert record.lineage.startswith("The linework of the map is obtained by delineating")


def test_french_record_language_is_fre(shared_fixtures: Path) -> None:
    assert iso(shared_fixtures, "owslib/geobretagne_fr_mdmetadata.xml").language == "fre"


def test_service_identification_makes_a_service(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "owslib/iso19139_srv_de.xml")
    assert record.resource_type == "service"
    assert record.bboxes == [
        BBox(
            west=8.945096154917964,
            south=47.24843532655711,
            east=13.908908586487573,
            north=50.56420950059199,
        )
    ]


def test_hierarchy_level_gives_the_resource_type(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "udata/geoplateforme_ign_IGNF_RPG.xml")
    assert record.resource_type == "series"


def test_profile_root_maps_like_md_metadata(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "owslib/geocat_ch_che_profile.xml")
    assert (record.provenance.original_id, record.title, record.language) == (
        "3d2981af-d5db-4122-8db6-1ea41ed44b3f",
        "Gewässerschutzkarte",
        "ger",
    )
    assert record.contacts == [  # from che:CHE_CI_ResponsibleParty
        Contact(
            organisation="Grundbuch- und Vermessungsamt", email="info.gva@zg.ch", role="distributor"
        ),
        Contact(organisation="Amt für Umweltschutz", email="info.afu@zg.ch", role="owner"),
    ]
    assert record.links == [  # linkage given as che:PT_FreeURL
        Link(url="http://www.zugmap.ch/?link=gewaesserschutzkarte", protocol="WWW:LINK")
    ]


def test_free_text_title_uses_the_main_string(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "records/gn_multilingual_pt_freetext.xml")
    assert record.title == "Hindernisbegrenzungsflächen-Kataster"


def test_free_text_title_falls_back_to_the_first_localised_string(shared_fixtures: Path) -> None:
    root = iso_root(shared_fixtures, "records/gn_multilingual_pt_freetext.xml")
    main = matching(root, "gmd:identificationInfo/*/gmd:citation/*/gmd:title/gco:CharacterString")
    main[0].text = ""
    assert parse_iso(root, "src").title == "Hindernisbegrenzungsflächen-Kataster"


def test_identifiers_keep_code_space_and_anchor_codes(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "records/semic_identifiers_anchor.xml")
    assert record.identifiers == [
        Identifier(code="http://www.my-organisation.eu/so/lu/land-use-map"),
        Identifier(code="123456", codespace="org-id/"),
    ]


def test_licence_from_an_anchor_to_a_licence_deed(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "owslib/nl_inspire_anchors.xml")
    assert record.licence == "http://creativecommons.org/publicdomain/mark/1.0/deed.nl"


def test_licence_named_in_a_use_limitation(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "udata/geonetwork_fr_iso19139_page1.xml")
    assert record.licence == (
        "Licence Ouverte 1.0 http://www.data.gouv.fr/Licence-Ouverte-Open-Licence."
    )
    assert record.licence in record.constraints


def test_mi_metadata_root_is_mapped(shared_fixtures: Path) -> None:
    record = iso(shared_fixtures, "owslib/iso19115-2_mi_anchor.xml")
    assert (record.title, record.topic_categories, record.temporal) == (
        "title in English",
        ["climatologyMeteorologyAtmosphere"],
        TemporalExtent(start=date(1950, 7, 31)),
    )


def test_iso19115_3_record_is_mapped(shared_fixtures: Path) -> None:
    root = parse_xml((shared_fixtures / "csw/pycsw/GetRecords_iso19115-3_mdb.xml").read_bytes())
    record = parse_iso(root[1][0], "src")
    base = "http://geology.data.vic.gov.au/searchAssistant/document.php?q=parent_id:"
    assert record.model_dump(exclude={"id", "provenance"}, exclude_defaults=True) == {
        "title": "3D geological model of the Otway and Torquay Basin 2011",
        "bboxes": [{"west": 143.0, "south": -39.4, "east": 144.0, "north": -38.4}],
        "links": [
            {"url": f"{base}37363", "protocol": "WWW:LINK", "name": "View Reports"},
            {
                "url": f"{base}107513",
                "protocol": "WWW:LINK",
                "name": "Download Metadata and 3D model data",
            },
            {
                "url": "http://geomodels.auscope.org/model/otway",
                "protocol": "WWW:LINK",
                "name": "3D Geological Model",
            },
        ],
    }
    assert record.provenance.original_id == "5ebc3cb7-a3b5-4760-a8ff-851d5d5beb32"


def test_resource_identifier_is_the_identity_without_file_identifier(
    shared_fixtures: Path,
) -> None:
    root = iso_root(shared_fixtures, "owslib/inspire_be_getrecords_iso.xml")
    remove(root, "gmd:fileIdentifier")
    record = parse_iso(root, "src")
    assert record.provenance.original_id == "4f8bbdee-f02a-4050-9309-8aa6538ec8cc"


def test_record_without_any_identifier_is_rejected(shared_fixtures: Path) -> None:
    root = iso_root(shared_fixtures, "owslib/inspire_be_getrecords_iso.xml")
    remove(root, "gmd:fileIdentifier | gmd:identificationInfo/*/gmd:citation/*/gmd:identifier")
    with pytest.raises(RecordRejected, match="no metadata identifier"):
        parse_iso(root, "src")


def test_record_without_title_is_rejected(shared_fixtures: Path) -> None:
    root = iso_root(shared_fixtures, "owslib/ipma_pt_sparse_17bd184a.xml")
    remove(root, "gmd:identificationInfo/*/gmd:citation/*/gmd:title")
    with pytest.raises(RecordRejected, match=r"no title .*17bd184a"):
        parse_iso(root, "src")


def test_record_id_is_stable_per_source_and_original_id(shared_fixtures: Path) -> None:
    first = iso(shared_fixtures, "owslib/ipma_pt_sparse_17bd184a.xml")
    again = iso(shared_fixtures, "owslib/ipma_pt_sparse_17bd184a.xml")
    other = parse_iso(iso_root(shared_fixtures, "owslib/ipma_pt_sparse_17bd184a.xml"), "other")
    assert first.id == again.id != other.id
