"""Split one CSW response (or one saved record file) into Harvested items.

Used by the HTTP CSW source and by `file://` folders of saved XML alike, so both see the same
rules:

- an ows:ExceptionReport (OWS 1.0, 1.1, 2.0) raises SourceProtocolError with the server's
  code and text: the page failed, not a record;
- csw:GetRecordsResponse (CSW 2.0.2, 3.0): each element in csw:SearchResults is one item,
  with the paging numbers; csw:GetRecordByIdResponse: each child is one item;
- a bare ISO or Dublin Core record is one item; any other root raises SourceProtocolError;
- each item carries the record's own bytes (re-serialised from a response, as received for
  a standalone record file). A record that is rejected, that fails to map, or whose schema
  is not supported (DCAT rdf:RDF inside CSW...) is quarantined with the reason; a bad
  record never stops the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from harvester.formats.dublin_core import DC_NS, parse_dc
from harvester.formats.iso19115_3 import ISO19115_3_TABLES, iso19115_3_namespaces
from harvester.formats.iso19139 import ISO_NS, parse_iso
from harvester.formats.iso_mapping import select
from harvester.formats.xmlsafe import parse_xml
from moisson.errors import RecordRejected, SourceProtocolError
from moisson.record import Harvested, Record

__all__ = ["ISO_NS", "CswDocument", "read_document"]

logger = logging.getLogger(__name__)

_CSW = ("http://www.opengis.net/cat/csw/2.0.2", "http://www.opengis.net/cat/csw/3.0")
_OWS = (
    "http://www.opengis.net/ows",
    "http://www.opengis.net/ows/1.1",
    "http://www.opengis.net/ows/2.0",
)
_GMD = ISO_NS["gmd"]
_ISO19139_NAMESPACES = (_GMD, ISO_NS["gmi"])
_RDF_RDF = f"{{{DC_NS['rdf']}}}RDF"
_DCAT = "http://www.w3.org/ns/dcat#"

_EXCEPTION_REPORTS = frozenset(f"{{{ns}}}ExceptionReport" for ns in _OWS)
_GET_RECORDS = frozenset(f"{{{ns}}}GetRecordsResponse" for ns in _CSW)
_GET_RECORD_BY_ID = frozenset(f"{{{ns}}}GetRecordByIdResponse" for ns in _CSW)
_SEARCH_RESULTS = frozenset(f"{{{ns}}}SearchResults" for ns in _CSW)
_DC_RECORDS = frozenset(
    [f"{{{ns}}}{name}" for ns in _CSW for name in ("Record", "SummaryRecord", "BriefRecord")]
    + ["simpledc", "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"]
)
_RECORD_SCHEMAS = {  # csw:SearchResults/@recordSchema -> our schema name, for empty pages
    _GMD: "iso19139",
    **{ns: "dc" for ns in _CSW},
    **{ns: "iso19115-3" for ns in ISO19115_3_TABLES},
}

_PARSERS: dict[str, Callable[[etree._Element, str], Record]] = {
    "iso19139": parse_iso,
    "iso19115-3": parse_iso,
    "dc": parse_dc,
}

_ID_NS = {
    "gmd": _GMD,
    "dc": DC_NS["dc"],
    "dct": DC_NS["dct"],
    "rdf": DC_NS["rdf"],
    "mdb1": iso19115_3_namespaces("1.0")["mdb"],
    "mdb2": iso19115_3_namespaces("2.0")["mdb"],
    "mcc": iso19115_3_namespaces("2.0")["mcc"],
}
# Best effort id of a record that failed to map, so admins can find it at the source.
_SNIFF_ID = etree.XPath(
    "gmd:fileIdentifier/*/text() | dc:identifier/text() | dct:identifier/text()"
    " | rdf:Description/dc:identifier/text()"
    " | mdb1:metadataIdentifier/*/mcc:code/*/text()"
    " | mdb2:metadataIdentifier/*/mcc:code/*/text()",
    namespaces=_ID_NS,
    smart_strings=False,
)


@dataclass
class CswDocument:
    """What one response holds. `matched`, `returned` and `next_record` are the server's
    claims (None when absent); `schema` is 'iso19139', 'iso19115-3', 'dc', 'unsupported',
    'mixed' or 'none', from the items (or recordSchema when the page is empty)."""

    items: list[Harvested]
    matched: int | None
    returned: int | None
    next_record: int | None
    schema: str


def read_document(data: bytes, source_id: str) -> CswDocument:
    """Parse a CSW response or record file into Harvested items (see the module docstring).

    Raises UnsafeInput or SourceProtocolError (from parse_xml) for hostile or broken XML, and
    SourceProtocolError for exception reports and documents that are not record responses.
    """
    root = parse_xml(data)
    tag = root.tag
    matched = returned = next_record = None
    declared_schema = None
    if tag in _EXCEPTION_REPORTS:
        raise SourceProtocolError(_exception_message(root))
    if tag in _GET_RECORDS:
        results = next((c for c in root if c.tag in _SEARCH_RESULTS), None)
        if results is None:
            raise SourceProtocolError("GetRecordsResponse without csw:SearchResults")
        elements = [c for c in results if isinstance(c.tag, str)]
        matched = _int(results.get("numberOfRecordsMatched"))
        returned = _int(results.get("numberOfRecordsReturned"))
        next_record = _int(results.get("nextRecord"))
        declared_schema = _RECORD_SCHEMAS.get(results.get("recordSchema") or "")
    elif tag in _GET_RECORD_BY_ID:
        elements = [c for c in root if isinstance(c.tag, str)]
    elif _schema(root) not in (None, "unsupported"):
        elements = [root]
    else:
        raise SourceProtocolError(
            f"not a CSW record response nor a supported metadata record: root element {tag}"
        )
    items: list[Harvested] = []
    schemas: set[str] = set()
    for element in elements:
        schema = _schema(element) or "unsupported"
        schemas.add(schema)
        # A standalone record file already is the record's own bytes: keep them as they came.
        raw = data if element is root else None
        items.append(_harvest(element, schema, source_id, raw))
    if len(schemas) == 1:
        doc_schema = schemas.pop()
    else:
        doc_schema = "mixed" if schemas else declared_schema or "none"
    return CswDocument(items, matched, returned, next_record, doc_schema)


def _schema(element: etree._Element) -> str | None:
    """Which mapper reads this record element; 'unsupported' for RDF that is DCAT, None when
    the element is not a record this module knows."""
    tag = element.tag
    if not isinstance(tag, str):
        return None
    namespace = tag[1:].partition("}")[0] if tag.startswith("{") else ""
    if namespace in _ISO19139_NAMESPACES:
        return "iso19139"
    if namespace in ISO19115_3_TABLES:
        return "iso19115-3"
    if tag in _DC_RECORDS:
        return "dc"
    if tag == _RDF_RDF:
        return "unsupported" if _is_dcat(element) else "dc"
    # Profile roots (che:CHE_MD_Metadata...) are gmd inside: map them as ISO 19139.
    if any(isinstance(c.tag, str) and c.tag.startswith(f"{{{_GMD}}}") for c in element):
        return "iso19139"
    return None


def _is_dcat(rdf: etree._Element) -> bool:
    for child in rdf:
        if not isinstance(child.tag, str):
            continue
        if child.tag.startswith(f"{{{_DCAT}}}"):
            return True
        for grandchild in child:
            resource = grandchild.get(f"{{{DC_NS['rdf']}}}resource") or ""
            if grandchild.tag == f"{{{DC_NS['rdf']}}}type" and resource.startswith(_DCAT):
                return True
    return False


def _harvest(element: etree._Element, schema: str, source_id: str, raw: bytes | None) -> Harvested:
    if raw is None:
        raw = etree.tostring(element, encoding="UTF-8", with_tail=False)
    if schema == "unsupported":
        hint = " (DCAT: harvest it with a DCAT source)" if element.tag == _RDF_RDF else ""
        return _quarantine(element, raw, f"unsupported record schema {element.tag}{hint}")
    try:
        record = _PARSERS[schema](element, source_id)
    except RecordRejected as exc:
        return _quarantine(element, raw, exc.message)
    except Exception as exc:  # one record's odd content must cost that record, not the page
        logger.warning("%s: %s record could not be mapped", source_id, schema, exc_info=True)
        reason = f"{schema} record could not be mapped: {type(exc).__name__}: {exc}"
        return _quarantine(element, raw, reason[:1000])
    return Harvested(original_id=record.provenance.original_id, raw=raw, record=record)


def _quarantine(element: etree._Element, raw: bytes, reason: str) -> Harvested:
    found = [str(text).strip() for text in select(_SNIFF_ID, element) if str(text).strip()]
    return Harvested(original_id=found[0] if found else None, raw=raw, error=reason)


def _exception_message(report: etree._Element) -> str:
    parts = []
    for exception in report:
        if not isinstance(exception.tag, str):
            continue
        code = exception.get("exceptionCode") or "unknown"
        locator = exception.get("locator")
        texts = " ".join(
            " ".join(child.text.split())
            for child in exception
            if isinstance(child.tag, str) and child.tag.endswith("ExceptionText") and child.text
        )
        where = f" (locator {locator})" if locator else ""
        parts.append(f"{code}{where}: {texts}" if texts else f"{code}{where}")
    return "CSW server returned an exception report: " + ("; ".join(parts) or "no details")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
