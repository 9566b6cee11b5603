"""parse_xml: hostile XML is refused, broken XML is a clear protocol error, odd but valid
XML (Latin-1, no declaration, licence comments) parses."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from harvester.formats.xmlsafe import parse_xml
from moisson.errors import SourceProtocolError, UnsafeInput

# Our own hostile test data, not fixtures.
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<r>&secret;</r>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""

GMD = "{http://www.isotc211.org/2005/gmd}"


def test_external_entity_is_refused() -> None:
    with pytest.raises(UnsafeInput, match="XXE"):
        parse_xml(XXE)


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(UnsafeInput, match="entit"):
        parse_xml(BILLION_LAUGHS)


def test_entities_are_refused_when_the_encoding_hides_them_from_a_byte_scan() -> None:
    utf16 = BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16")
    with pytest.raises(UnsafeInput):
        parse_xml(utf16)


def test_truncated_document_is_a_protocol_error_with_position(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "csw/pycsw/GetRecords_iso_full_first5.xml").read_bytes()
    with pytest.raises(SourceProtocolError, match=r"not well-formed XML: .*line \d+") as caught:
        parse_xml(data[: len(data) // 2])
    assert isinstance(caught.value.__cause__, etree.XMLSyntaxError)


def test_empty_document_is_a_protocol_error() -> None:
    with pytest.raises(SourceProtocolError, match="empty"):
        parse_xml(b"  \n")


def test_latin1_declared_bytes_are_decoded(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "csw/owslib/record_9250AA67_iso.xml").read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    # The stored record is pure ASCII: give its title accents, in Latin-1 bytes.
    accented = data.replace(b">ALLSPECIES<", ">Espèces protégées<".encode("latin-1"), 1)
    root = parse_xml(accented)
    title = root.find(f"{GMD}identificationInfo/*/{GMD}citation/*/{GMD}title/*")
    assert title is not None
    assert title.text == "Espèces protégées"


def test_document_without_declaration_parses(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "csw/owslib/noaa_iso_srv_multi_extent.xml").read_bytes()
    assert not data.lstrip().startswith(b"<?xml")
    assert parse_xml(data).tag == f"{GMD}MD_Metadata"


def test_licence_comment_before_the_root_is_dropped(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "csw/geonetwork/GetRecordById_7e926fbf.xml").read_bytes()
    assert data.index(b"<!--") < data.index(b"<csw:GetRecordByIdResponse")
    root = parse_xml(data)
    assert root.tag == "{http://www.opengis.net/cat/csw/2.0.2}GetRecordByIdResponse"
    assert root.getprevious() is None
