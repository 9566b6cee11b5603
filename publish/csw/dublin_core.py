"""Record -> csw:Record / csw:SummaryRecord / csw:BriefRecord.

What each element holds (pure: no Flask, no store):

- dc:identifier: the id the source gave (fileIdentifier, URI...), as GetRecordById takes it;
- dc:title, dct:abstract: title, abstract; dc:type: ISO scope code (dataset, service...);
- dc:subject: keywords (`scheme` = their thesaurus URI), ISO topic categories, and the
  company themes labelled in the record's language, `scheme` = the company thesaurus URI;
- dc:format: formats; dc:language: metadata language;
- dc:creator / dc:publisher / dc:contributor: contact organisations by role (owner,
  originator, author / publisher, distributor / the others);
- dct:modified, dc:date, dct:created, dct:issued: revision (else metadata date), reference
  date, creation, publication;
- dc:rights, dct:license: constraints, licence; dc:source: lineage;
- dct:references: links, `scheme` = protocol (OGC:WMS...), as MetaSearch reads them;
- dct:temporal: `start/end`;
- ows:BoundingBox: each box in `urn:ogc:def:crs:EPSG::4326`, latitude first (as pycsw).

Element sets: brief = identifier, title, type, BoundingBox; summary adds subject, format,
modified, abstract (the schema's SummaryRecord order); full is everything above.
`ElementName` picks elements of csw:Record by name.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from moisson.record import BBox, Record
from publish.csw.errors import CswError
from publish.csw.namespaces import q
from publish.scheme import ThemeScheme, theme_label

__all__ = ["ELEMENTS", "dc_record", "element_name"]

TOPIC_SCHEME = (
    "http://www.isotc211.org/2005/resources/Codelist/gmxCodelists.xml#MD_TopicCategoryCode"
)
EPSG_4326 = "urn:ogc:def:crs:EPSG::4326"

# Every element a csw:Record may carry here, in output order (ows:BoundingBox last, as the
# schema requires).
ELEMENTS = (
    "dc:identifier",
    "dc:title",
    "dc:type",
    "dc:subject",
    "dc:format",
    "dc:creator",
    "dc:publisher",
    "dc:contributor",
    "dc:language",
    "dc:date",
    "dct:modified",
    "dct:created",
    "dct:issued",
    "dct:abstract",
    "dc:rights",
    "dct:license",
    "dc:source",
    "dct:references",
    "dct:temporal",
    "ows:BoundingBox",
)
BRIEF = ("dc:identifier", "dc:title", "dc:type", "ows:BoundingBox")
SUMMARY = (
    "dc:identifier",
    "dc:title",
    "dc:type",
    "dc:subject",
    "dc:format",
    "dct:modified",
    "dct:abstract",
    "ows:BoundingBox",
)
_ROOTS = {"brief": "csw:BriefRecord", "summary": "csw:SummaryRecord", "full": "csw:Record"}
_ALIASES = {"dcterms": "dct", "csw": "dc"}
_CREATOR_ROLES = {"owner", "originator", "author", "principalInvestigator", "custodian"}


def element_name(name: str) -> str:
    """The ELEMENTS name for an ElementName value (`dc:title`, `/dc:title`, `title`);
    InvalidParameterValue (locator ElementName) otherwise."""
    clean = name.strip().lstrip("/")
    prefix, sep, local = clean.rpartition(":")
    candidates = [clean] if not sep else [f"{_ALIASES.get(prefix, prefix)}:{local}"]
    if not sep:
        candidates = [f"dc:{clean}", f"dct:{clean}", f"ows:{clean}"]
    for candidate in candidates:
        if candidate in ELEMENTS:
            return candidate
    raise CswError("InvalidParameterValue", f"invalid ElementName {name[:100]!r}", "ElementName")


def _add(parent: etree._Element, name: str, text: str | None, scheme: str | None = None) -> None:
    if text is None or not str(text).strip():
        return
    element = etree.SubElement(parent, q(name))
    element.text = str(text)
    if scheme:
        element.set("scheme", scheme)


def _bbox(parent: etree._Element, box: BBox) -> None:
    element = etree.SubElement(parent, q("ows:BoundingBox"), crs=EPSG_4326, dimensions="2")
    etree.SubElement(element, q("ows:LowerCorner")).text = f"{box.south:g} {box.west:g}"
    etree.SubElement(element, q("ows:UpperCorner")).text = f"{box.north:g} {box.east:g}"


def _values(record: Record, name: str, scheme: ThemeScheme) -> Iterable[tuple[str, str | None]]:
    """(text, scheme attribute) pairs of one element for one record."""
    if name == "dc:identifier":
        yield record.provenance.original_id, None
    elif name == "dc:title":
        yield record.title, None
    elif name == "dc:type":
        yield record.resource_type, None
    elif name == "dc:subject":
        for keyword in record.keywords:
            yield keyword.label, keyword.thesaurus_uri
        for topic in record.topic_categories:
            yield topic, TOPIC_SCHEME
        for theme in record.themes:
            yield theme_label(theme, record.language, scheme.languages), scheme.uri
    elif name == "dc:format":
        yield from ((f, None) for f in record.formats)
    elif name in ("dc:creator", "dc:publisher", "dc:contributor"):
        yield from ((org, None) for org in _organisations(record, name))
    elif name == "dc:language":
        yield record.language or "", None
    elif name == "dc:date":
        when = record.revised or record.published or record.created or record.metadata_date
        yield (when.isoformat() if when else ""), None
    elif name == "dct:modified":
        when = record.revised or record.metadata_date
        yield (when.isoformat() if when else ""), None
    elif name == "dct:created":
        yield (record.created.isoformat() if record.created else ""), None
    elif name == "dct:issued":
        yield (record.published.isoformat() if record.published else ""), None
    elif name == "dct:abstract":
        yield record.abstract or "", None
    elif name == "dc:rights":
        yield from ((c, None) for c in record.constraints)
    elif name == "dct:license":
        yield record.licence or "", None
    elif name == "dc:source":
        yield record.lineage or "", None
    elif name == "dct:references":
        yield from ((link.url, link.protocol) for link in record.links)
    elif name == "dct:temporal" and record.temporal is not None:
        start, end = record.temporal.start, record.temporal.end
        yield f"{start.isoformat() if start else ''}/{end.isoformat() if end else ''}", None


def _organisations(record: Record, name: str) -> list[str]:
    found: list[str] = []
    for contact in record.contacts:
        role = contact.role or ""
        kind = (
            "dc:creator"
            if role in _CREATOR_ROLES
            else "dc:publisher"
            if role in ("publisher", "distributor")
            else "dc:contributor"
        )
        label = contact.organisation or contact.name
        if kind == name and label and label not in found:
            found.append(label)
    return found


def dc_record(
    record: Record,
    scheme: ThemeScheme,
    element_set: str | None = "full",
    element_names: list[str] | None = None,
) -> etree._Element:
    """The Dublin Core record of `record`: an element set, or (element_set None) the
    csw:Record holding only `element_names`."""
    if element_set is None:
        wanted = set(element_names or ())
        names = tuple(n for n in ELEMENTS if n in wanted)
        root = etree.Element(q("csw:Record"))
    else:
        names = {"brief": BRIEF, "summary": SUMMARY}.get(element_set, ELEMENTS)
        root = etree.Element(q(_ROOTS[element_set]))
    for name in names:
        if name == "ows:BoundingBox":
            for box in record.bboxes:
                _bbox(root, box)
            continue
        for text, attribute in _values(record, name, scheme):
            _add(root, name, text, attribute)
    return root
