"""The harvested ISO 19139 payload as the published record (the ISO path's first choice).

A source that gave ISO 19139 gave the best description there is: every element its editors
wrote, in their words. So the ISO output is that payload, with one documented change:

- when the record has company themes, an enriched copy: any earlier company-themes block
  (a record harvested from another Moisson) is removed and ours is inserted after the
  record's own `descriptiveKeywords` (schema order), in the first identification section.
  Nothing else is touched: fileIdentifier, contacts, links, encodings of values all stay;
- when it has none, and the payload is the bare MD_Metadata document, the bytes exactly as
  harvested.

Payloads kept inside a CSW response wrapper (GetRecordById / GetRecords saved as files) give
their MD_Metadata element (the one whose fileIdentifier is the record's id, else the first).
ISO 19115-3, Dublin Core, DCAT and JSON payloads are not ISO 19139: None, and the caller
generates the record instead (publish/iso19139.py).
"""

from __future__ import annotations

import copy

from lxml import etree

from harvester.formats.xmlsafe import parse_xml
from moisson.errors import MoissonError
from moisson.record import Record
from publish.iso19139 import NS, iso_element, themes_keywords
from publish.scheme import ThemeScheme

__all__ = ["iso_document", "raw_iso_document", "raw_iso_element"]

_ISO_ROOTS = frozenset(
    f"{{{ns}}}{name}"
    for ns in (NS["gmd"], "http://www.isotc211.org/2005/gmi")
    for name in ("MD_Metadata", "MI_Metadata")
)
_FIND_ROOTS = etree.XPath(
    "//gmd:MD_Metadata | //gmi:MI_Metadata",
    namespaces={"gmd": NS["gmd"], "gmi": "http://www.isotc211.org/2005/gmi"},
)
_FILE_ID = etree.XPath("string(gmd:fileIdentifier/*)", namespaces={"gmd": NS["gmd"]})
_IDENT = etree.XPath("gmd:identificationInfo/*", namespaces={"gmd": NS["gmd"]})
_THESAURUS_HREFS = etree.XPath(
    "gmd:MD_Keywords/gmd:thesaurusName/*/gmd:title/*/@xlink:href",
    namespaces={"gmd": NS["gmd"], "xlink": NS["xlink"]},
)
# Children of an identification section that come before descriptiveKeywords (ISO 19139
# MD_DataIdentification / SV_ServiceIdentification order).
_BEFORE_KEYWORDS = frozenset(
    f"{{{NS['gmd']}}}{name}"
    for name in (
        "citation",
        "abstract",
        "purpose",
        "credit",
        "status",
        "pointOfContact",
        "resourceMaintenance",
        "graphicOverview",
        "resourceFormat",
        "descriptiveKeywords",
    )
)


def raw_iso_element(
    raw: bytes, content_type: str, original_id: str | None = None
) -> tuple[etree._Element, bool] | None:
    """(MD_Metadata element, is the document root) from a harvested payload, or None when
    the payload is not ISO 19139 (or not XML at all)."""
    if "xml" not in content_type.lower() and not raw.lstrip().startswith(b"<"):
        return None
    try:
        root = parse_xml(raw)
    except MoissonError:
        return None
    if root.tag in _ISO_ROOTS:
        return root, True
    found = [e for e in _FIND_ROOTS(root) if isinstance(e, etree._Element)]
    if not found:
        return None
    if original_id:
        for element in found:
            if str(_FILE_ID(element)).strip() == original_id:
                return element, False
    return found[0], False


def raw_iso_document(
    raw: bytes, content_type: str, record: Record, scheme: ThemeScheme
) -> bytes | None:
    """The payload to publish (see the module docstring), or None when it is not ISO 19139."""
    found = raw_iso_element(raw, content_type, record.provenance.original_id)
    if found is None:
        return None
    element, is_root = found
    block = themes_keywords(record, scheme)
    if block is None and is_root:
        return raw
    element = copy.deepcopy(element)
    if block is not None:
        _replace_themes(element, block, scheme.uri)
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")


def _replace_themes(element: etree._Element, block: etree._Element, scheme_uri: str) -> None:
    idents = [i for i in _IDENT(element) if isinstance(i, etree._Element)]
    if not idents:
        return
    for ident in idents:
        for prop in ident.findall(f"{{{NS['gmd']}}}descriptiveKeywords"):
            if scheme_uri in _THESAURUS_HREFS(prop):  # type: ignore[operator]
                ident.remove(prop)
    ident = idents[0]
    position = 0
    for index, child in enumerate(ident):
        if child.tag in _BEFORE_KEYWORDS:
            position = index + 1
    ident.insert(position, block)


def iso_document(
    record: Record,
    scheme: ThemeScheme,
    raw: tuple[bytes, str] | None = None,
    *,
    file_identifier: str | None = None,
) -> bytes:
    """The ISO 19139 document to publish for `record`, UTF-8 bytes.

    First choice: the harvested payload `raw` (bytes, content type) when it holds an ISO
    19139 record: byte-for-byte when the record has no company theme to add, else an
    enriched copy with the company themes block (publish/iso_raw.py). Otherwise the record
    generated from the Record."""
    if raw is not None:
        found = raw_iso_document(raw[0], raw[1], record, scheme)
        if found is not None:
            return found
    element = iso_element(record, scheme, file_identifier=file_identifier)
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")
