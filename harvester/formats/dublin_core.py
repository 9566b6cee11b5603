"""Dublin Core records to Records: csw:Record / SummaryRecord / BriefRecord (CSW 2.0.2 and
3.0), rdf:RDF-wrapped rdf:Description, GeoNetwork `simpledc` and oai_dc.

DC elements are flat children of the record, so the mapping is a table from child tag to
field read in one pass. The identity is the first dc:identifier (else rdf:about). DC says
little about roles; creator / publisher / contributor get the ISO roles pycsw maps them
from (originator / publisher / author), so a record harvested as DC or as ISO agrees.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from lxml import etree

from harvester.formats.extents import clean_bbox, clean_bboxes, to_number
from harvester.formats.iso_mapping import select
from harvester.formats.normalise import (
    is_doi,
    looks_like_licence,
    normalise_language,
    normalise_protocol,
    one_line,
    parse_date,
    tidy_text,
)
from moisson.errors import RecordRejected
from moisson.record import BBox, Contact, Identifier, Keyword, Link, Record

__all__ = ["DC_NS", "parse_dc"]

DC_NS: dict[str, str] = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "dct": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "ows": "http://www.opengis.net/ows",
    "ows11": "http://www.opengis.net/ows/1.1",
    "ows20": "http://www.opengis.net/ows/2.0",
}
_DC, _DCT, _RDF = (f"{{{DC_NS[p]}}}" for p in ("dc", "dct", "rdf"))
_OWS = tuple(f"{{{DC_NS[p]}}}" for p in ("ows", "ows11", "ows20"))

# fmt: off
# Child tag -> field. dc: and dct: spellings of the same term share a field.
_FIELDS: dict[str, str] = {
    **{f"{ns}{term}": term for ns in (_DC, _DCT) for term in (
        "identifier", "title", "description", "subject", "type", "format", "date",
        "language", "rights", "creator", "publisher", "contributor", "coverage",
    )},
    **{f"{_DCT}{term}": term for term in (
        "abstract", "modified", "created", "issued", "spatial", "references", "license",
        "accessRights",
    )},
    f"{_DC}URI": "uri",
    **{f"{ows}BoundingBox": "bbox" for ows in _OWS},
    **{f"{ows}WGS84BoundingBox": "wgs84" for ows in _OWS},
}
_RDF_ABOUT = f"{_RDF}about"
_RDF_RESOURCE = f"{_RDF}resource"
_FIRST_DESCRIPTION = etree.XPath("rdf:Description", namespaces=DC_NS)

# DC role -> ISO CI_RoleCode, as pycsw maps ISO to DC.
_ROLES = {"creator": "originator", "publisher": "publisher", "contributor": "author"}
# DCMI types (and ISO scope codes, which pycsw copies into dc:type) -> ISO MD_ScopeCode.
_TYPES = {
    "dataset": "dataset", "service": "service", "series": "series", "collection": "series",
    "text": "document", "document": "document", "software": "software",
    "nongeographicdataset": "nonGeographicDataset", "application": "application",
    "featuretype": "featureType", "model": "model", "tile": "tile",
}
# fmt: on
# EPSG:4326 written as a URN or URI means latitude first; CRS84 and the bare "EPSG:4326"
# code are longitude first (OWSLib and pycsw read them so). Other CRSs are not degrees.
_LAT_FIRST = re.compile(
    r"urn:(?:x-)?ogc:def:crs:EPSG:[\d.]*:(?:4326|4258)$|/def/crs/EPSG/0/(?:4326|4258)$", re.I
)
_LON_FIRST = re.compile(r"^(?:|EPSG:(?:4326|4258)|.*CRS:?84)$", re.I)
_NUMBERS = re.compile(r"^\s*(-?[\d.]+)[\s,;]+(-?[\d.]+)[\s,;]+(-?[\d.]+)[\s,;]+(-?[\d.]+)\s*$")
# GeoNetwork simpledc: "North 90, South -90, East 180, West -180. (Global)"
_COVERAGE = {
    side: re.compile(rf"{side}\s*(-?[\d.]+)", re.I) for side in ("North", "South", "East", "West")
}

Fields = dict[str, list[etree._Element]]


def parse_dc(element: etree._Element, source_id: str) -> Record:
    """Map one Dublin Core record element to a Record; rdf:RDF maps its first rdf:Description.

    Raises RecordRejected without an identifier (dc:identifier or rdf:about) or a title.
    """
    if element.tag == f"{_RDF}RDF":
        descriptions = select(_FIRST_DESCRIPTION, element)
        if not descriptions:
            raise RecordRejected("rdf:RDF without an rdf:Description: no Dublin Core record")
        element = descriptions[0]
    fields: Fields = {}
    for child in element:
        name = _FIELDS.get(child.tag)
        if name is not None:
            fields.setdefault(name, []).append(child)
    codes = _texts(fields, "identifier")
    original_id = one_line(codes[0]) if codes else one_line(element.get(_RDF_ABOUT))
    if not original_id:
        raise RecordRejected("no dc:identifier in this Dublin Core record: no stable id")
    title = one_line(_first(fields, "title"))
    if not title:
        raise RecordRejected(f"no title in Dublin Core record {original_id!r}")
    keywords, topics = _subjects(fields.get("subject", ()))
    links, thumbnails = _links(fields)
    rights = [t for t in map(tidy_text, _texts(fields, "license", "rights", "accessRights")) if t]
    licences = _texts(fields, "license") + [r for r in rights if looks_like_licence(r)]
    return Record.new(
        source_id,
        original_id,
        title=title,
        abstract=tidy_text(_first(fields, "abstract") or _first(fields, "description")),
        language=normalise_language(_first(fields, "language")),
        identifiers=_identifiers(codes),
        keywords=keywords,
        topic_categories=topics,
        contacts=_contacts(fields),
        bboxes=_boxes(fields),
        created=parse_date(_first(fields, "created")),
        published=parse_date(_first(fields, "issued") or _first(fields, "date")),
        revised=parse_date(_first(fields, "modified")),
        resource_type=_resource_type(_first(fields, "type")),
        formats=list(dict.fromkeys(f for f in map(one_line, _texts(fields, "format")) if f)),
        links=links,
        licence=licences[0] if licences else None,
        constraints=list(dict.fromkeys(rights)),
        thumbnails=thumbnails,
    )


def _text(element: etree._Element) -> str | None:
    """Element text, else its rdf:resource (RDF/XML may give a value as a reference)."""
    text = element.text
    if text and not text.isspace():
        return text.strip()
    resource = element.get(_RDF_RESOURCE)
    return resource.strip() if resource and not resource.isspace() else None


def _texts(fields: Fields, *names: str) -> list[str]:
    return [t for name in names for el in fields.get(name, ()) if (t := _text(el)) is not None]


def _first(fields: Fields, name: str) -> str | None:
    values = _texts(fields, name)
    return values[0] if values else None


def _identifiers(codes: list[str]) -> list[Identifier]:
    """In DC, dc:identifier identifies the resource itself, so every value is kept."""
    unique = dict.fromkeys(c for c in map(one_line, codes) if c)
    return [Identifier(code=c, codespace="doi" if is_doi(c) else None) for c in unique]


def _subjects(subjects: Iterable[etree._Element]) -> tuple[list[Keyword], list[str]]:
    """Keywords with their scheme as thesaurus; ISO topic categories (which pycsw writes as
    subjects with the MD_TopicCategoryCode scheme) go to topic_categories. A subject holding
    'a; b; c' is split: DC repeats elements for lists, but many exporters join with ';'.
    Entities escaped twice (pycsw writes 'Ocean &amp;gt; Pacific') are unescaped first, or
    their ';' would split one hierarchical keyword into pieces."""
    keywords: dict[tuple[str, str | None], Keyword] = {}
    topics: list[str] = []
    for subject in subjects:
        text = _text(subject)
        scheme = one_line(subject.get("scheme"))
        if not text:
            continue
        if scheme and scheme.endswith("MD_TopicCategoryCode"):
            topics.append(text)
            continue
        if "&" in text:
            text = html.unescape(text)
        for part in text.split(";"):
            label = one_line(part)
            if label and (label, scheme) not in keywords:
                keywords[(label, scheme)] = Keyword(
                    label=label,
                    thesaurus=scheme,
                    thesaurus_uri=scheme if scheme and "://" in scheme else None,
                )
    return list(keywords.values()), list(dict.fromkeys(topics))


def _contacts(fields: Fields) -> list[Contact]:
    contacts: list[Contact] = []
    for name, role in _ROLES.items():
        for text in _texts(fields, name):
            contact = Contact(organisation=one_line(text), role=role)
            if contact.organisation and contact not in contacts:
                contacts.append(contact)
    return contacts


def _boxes(fields: Fields) -> list[BBox]:
    boxes: list[BBox] = []
    for box in fields.get("wgs84", ()):
        boxes.extend(_corners(box, lat_first=False))
    for box in fields.get("bbox", ()):
        crs = (box.get("crs") or "").strip()
        if _LAT_FIRST.search(crs):
            boxes.extend(_corners(box, lat_first=True))
        elif _LON_FIRST.match(crs):
            boxes.extend(_corners(box, lat_first=False))
    for text in _texts(fields, "spatial"):
        found = _NUMBERS.match(text)
        if found:
            boxes.extend(clean_bbox(*found.groups()))
    for text in _texts(fields, "coverage"):
        sides = [_COVERAGE[side].search(text) for side in ("West", "South", "East", "North")]
        if all(sides):
            boxes.extend(clean_bbox(*(side.group(1) for side in sides if side)))
    return clean_bboxes(boxes)


def _corners(box: etree._Element, *, lat_first: bool) -> list[BBox]:
    corners: dict[str, list[float | None]] = {}
    for child in box:
        if isinstance(child.tag, str) and child.tag.endswith(("LowerCorner", "UpperCorner")):
            corners[child.tag[-11:]] = [to_number(v) for v in (child.text or "").split()]
    lower, upper = corners.get("LowerCorner", []), corners.get("UpperCorner", [])
    if len(lower) != 2 or len(upper) != 2:
        return []
    if lat_first:
        return clean_bbox(lower[1], lower[0], upper[1], upper[0])
    return clean_bbox(lower[0], lower[1], upper[0], upper[1])


def _links(fields: Fields) -> tuple[list[Link], list[str]]:
    """dct:references (scheme = protocol) and dc:URI (protocol/name/description attributes);
    references whose scheme says thumbnail are thumbnails, not links."""
    links: dict[tuple[str, str | None], Link] = {}
    thumbnails: list[str] = []
    for element in fields.get("references", []) + fields.get("uri", []):
        url = one_line(_text(element))
        if not url:
            continue
        given = one_line(element.get("scheme") or element.get("protocol"))
        if given and "thumbnail" in given.lower():
            thumbnails.append(url)
            continue
        protocol = normalise_protocol(given, url)
        if (url, protocol) not in links:
            links[(url, protocol)] = Link(
                url=url,
                protocol=protocol,
                name=one_line(element.get("name")),
                description=tidy_text(element.get("description")),
            )
    return list(links.values()), list(dict.fromkeys(thumbnails))


def _resource_type(value: str | None) -> str:
    """ISO scope code for a DCMI type URI or name; unknown types default to 'dataset'."""
    if not value:
        return "dataset"
    name = value.strip().rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return _TYPES.get(name.lower(), "dataset")
