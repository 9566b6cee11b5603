"""RDF/XML that abbreviates namespaces with internal entities is read; XXE, parameter
entities and entity bombs are still refused, each with its reason (formats/xmlsafe.py)."""

from __future__ import annotations

import pytest

from harvester.dcat import read_dcat_document
from harvester.formats.rdf_document import load_graph
from harvester.formats.xmlsafe import MAX_ENTITY_VALUE, expand_internal_entities
from moisson.errors import UnsafeInput

ABBREVIATED = b"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE rdf:RDF [
  <!-- namespace abbreviations, as Protege and national DCAT-AP profiles write them -->
  <!ENTITY rdf "http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <!ENTITY dcat "http://www.w3.org/ns/dcat#">
  <!ENTITY dct 'http://purl.org/dc/terms/'>
  <!ENTITY base "https://data.example.org/">
  <!ENTITY ds "&base;dataset/">
]>
<rdf:RDF xmlns:rdf="&rdf;" xmlns:dcat="&dcat;" xmlns:dct="&dct;">
  <rdf:Description rdf:about="&ds;rivers">
    <rdf:type rdf:resource="&dcat;Dataset"/>
    <dct:title xml:lang="en">Rivers &amp; lakes</dct:title>
  </rdf:Description>
  <rdf:Description rdf:about="&ds;roads">
    <rdf:type rdf:resource="&dcat;Dataset"/>
    <dct:title xml:lang="en">Roads</dct:title>
  </rdf:Description>
  <dcat:Dataset rdf:about="&ds;soils">
    <dct:title xml:lang="en">Soils</dct:title>
  </dcat:Dataset>
</rdf:RDF>
"""


def _with_subset(subset: str) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{subset}]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    ).encode()


@pytest.mark.parametrize("stream_above", [None, 0], ids=["graph", "streamed"])
def test_rdf_xml_with_namespace_entities_harvests_every_dataset(stream_above: int | None) -> None:
    items, _, _ = read_dcat_document(
        ABBREVIATED, "application/rdf+xml", "test", stream_above=stream_above
    )
    records = {i.record.provenance.original_id: i.record for i in items if i.record}
    assert set(records) == {
        "https://data.example.org/dataset/rivers",
        "https://data.example.org/dataset/roads",
        "https://data.example.org/dataset/soils",
    }
    assert records["https://data.example.org/dataset/rivers"].title == "Rivers & lakes"


def test_the_expanded_document_has_no_doctype_and_keeps_predefined_entities() -> None:
    expanded = expand_internal_entities(ABBREVIATED)
    assert b"<!DOCTYPE" not in expanded
    assert b'rdf:about="https://data.example.org/dataset/rivers"' in expanded
    assert b"Rivers &amp; lakes" in expanded


def test_a_value_with_markup_is_inserted_as_text() -> None:
    data = _with_subset('<!ENTITY x "a<b>&amp;">').replace(
        b"/>", b"><rdf:Description rdf:about='urn:x'/></rdf:RDF>"
    )
    assert b"<b>" not in expand_internal_entities(data + b"&x;")


@pytest.mark.parametrize(
    ("subset", "reason"),
    [
        ('<!ENTITY secret SYSTEM "file:///etc/passwd">', "external entity 'secret'"),
        ('<!ENTITY remote PUBLIC "-//X//EN" "http://127.0.0.1:9/x">', "XXE"),
        ('<!ENTITY % p "x">', "parameter entities"),
        ('<!ENTITY a "&b;"><!ENTITY b "&a;">', "recursive entity"),
        ('<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">', "exponential"),
        ('<!ELEMENT x ANY><!ENTITY a "a">', "only internal entity declarations"),
        (
            '<!ENTITY a "x"><!ENTITY b "&a;!"><!ENTITY c "&b;!"><!ENTITY d "&c;!">'
            '<!ENTITY e "&d;!">',
            "nested deeper",
        ),
        (f'<!ENTITY big "{"x" * (MAX_ENTITY_VALUE + 1)}">', "expands beyond"),
    ],
)
def test_dangerous_declarations_are_refused_with_the_reason(subset: str, reason: str) -> None:
    with pytest.raises(UnsafeInput, match=reason):
        load_graph(_with_subset(subset), "application/rdf+xml")


def test_billion_laughs_is_refused_before_any_parser_sees_it() -> None:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    bomb = _with_subset("".join(levels)).replace(b"/>", b">&lol9;</rdf:RDF>")
    with pytest.raises(UnsafeInput, match="entity-bomb"):
        load_graph(bomb, "application/rdf+xml")


def test_many_references_to_a_small_entity_are_capped_in_total() -> None:
    from harvester.formats import xmlsafe

    body = b"&u;" * 200_000
    data = _with_subset(f'<!ENTITY u "{"u" * 60}">').replace(b"/>", b">" + body + b"</rdf:RDF>")
    with pytest.raises(UnsafeInput, match="grows the document"):
        expand_internal_entities(data)
    assert len(body) * 20 > xmlsafe.MAX_EXPANSION
