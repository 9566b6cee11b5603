"""Record -> ISO 19139 `gmd:MD_Metadata`, generated (for records that came in another format).

`publish.iso_raw.iso_document` is what a protocol calls: the harvested ISO payload first (iso_raw:
as harvested, or an enriched copy carrying the company themes), else this module's
generated record. The generated record follows the element order of the ISO 19139 schemas
and says what the Record holds, nothing more:

- fileIdentifier (the source's own id unless the caller gives another), language,
  characterSet, hierarchyLevel, contact, dateStamp (`gco:nilReason="unknown"` when the
  source gave no metadata date: never invented);
- identification (`srv:SV_ServiceIdentification` for services): citation with title, dates
  and identifiers, abstract, points of contact, overviews, `descriptiveKeywords` grouped by
  source thesaurus with `gmx:Anchor` URIs, then the company themes block (see
  `themes_keywords`), constraints (licence as MD_LegalConstraints), language (mandatory
  in MD_DataIdentification: `gco:nilReason="unknown"` when the source gave none), topic
  categories (only the schema's enumeration; GeoNetwork's `environment_X` becomes
  `environment`), extent (bbox per box, temporal period with open ends as
  `indeterminatePosition="unknown"`);
- services: `srv:serviceType`, `srv:extent`, `srv:couplingType` (`srv:SV_CouplingType`),
  `srv:containsOperations` (nil), after the common MD_Identification elements;
- distribution: formats, online resources (only those whose URL is an xs:anyURI) with the
  normalised protocol strings (`OGC:WMS`, `OGC:WFS`, `download`, `WWW:LINK`...) that QGIS
  MetaSearch and OWSLib recognise;
- data quality: lineage statement.

Every generated record validates against the 2006-05-04 ISO 19139 schemas (the CSW ISO
AP's, shipped by pycsw; hence the `http://www.opengis.net/gml` namespace for gml:TimePeriod),
and reads back through Moisson's own ISO parser and OWSLib's MD_Metadata
(tests/publish/test_iso19139.py, tests/csw/test_iso_validity.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from lxml import etree

from moisson.record import BBox, Contact, Keyword, Link, Record, TemporalExtent
from publish.scheme import ThemeScheme, theme_label

__all__ = ["NS", "TOPIC_CATEGORIES", "iso_element", "iso_links", "themes_keywords"]

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "srv": "http://www.isotc211.org/2005/srv",
    # The namespace of the 2006-05-04 ISO 19139 schemas (the CSW ISO AP's, which pycsw
    # ships and harvested CSW records declare); the 2007 schemas' gml/3.2 would not validate.
    "gml": "http://www.opengis.net/gml",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
_SCHEMA_LOCATION = (
    "http://www.isotc211.org/2005/gmd"
    " http://schemas.opengis.net/csw/2.0.2/profiles/apiso/1.0.0/apiso.xsd"
)
_CODELISTS = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"
_NIL = f"{{{NS['gco']}}}nilReason"
_HREF = f"{{{NS['xlink']}}}href"


def _q(name: str) -> str:
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"


def _el(
    parent: etree._Element, name: str, text: str | None = None, **attrib: str
) -> etree._Element:
    child = etree.SubElement(
        parent, _q(name), {_q(k) if ":" in k else k: v for k, v in attrib.items()}
    )
    if text is not None:
        child.text = text
    return child


def _string(parent: etree._Element, name: str, text: str | None, uri: str | None = None) -> None:
    """A CharacterString property, or a gmx:Anchor when the value has a URI."""
    prop = _el(parent, name)
    if uri:
        _el(prop, "gmx:Anchor", text or uri, **{"xlink:href": uri})
    elif text is not None:
        _el(prop, "gco:CharacterString", text)
    else:
        prop.set(_NIL, "missing")


def _code(
    parent: etree._Element, name: str, codelist: str, value: str, prefix: str = "gmd"
) -> None:
    """A code list value; `prefix` is the namespace the schema declares the code list in
    (srv:SV_CouplingType, not gmd:)."""
    _el(
        _el(parent, name),
        f"{prefix}:{codelist}",
        value,
        codeList=f"{_CODELISTS}#{codelist}",
        codeListValue=value,
    )


def _date(parent: etree._Element, name: str, value: date | None) -> None:
    prop = _el(parent, name)
    if value is None:
        prop.set(_NIL, "unknown")
    else:
        _el(prop, "gco:Date", value.isoformat())


def iso_element(
    record: Record, scheme: ThemeScheme, *, file_identifier: str | None = None
) -> etree._Element:
    """The generated gmd:MD_Metadata of `record` (see the module docstring)."""
    root = etree.Element(_q("gmd:MD_Metadata"), nsmap={k: v for k, v in NS.items()})
    root.set(_q("xsi:schemaLocation"), _SCHEMA_LOCATION)
    _string(root, "gmd:fileIdentifier", file_identifier or record.provenance.original_id)
    if record.language:
        _code(root, "gmd:language", "LanguageCode", record.language)
    _code(root, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
    _code(root, "gmd:hierarchyLevel", "MD_ScopeCode", record.resource_type)
    metadata_contacts = record.contacts[:1]
    if metadata_contacts:
        _party(_el(root, "gmd:contact"), metadata_contacts[0])
    else:
        _el(root, "gmd:contact").set(_NIL, "unknown")
    _date(root, "gmd:dateStamp", record.metadata_date)
    _string(root, "gmd:metadataStandardName", "ISO 19115:2003/19139")
    _string(root, "gmd:metadataStandardVersion", "1.0")
    if record.bboxes:
        reference = _el(_el(root, "gmd:referenceSystemInfo"), "gmd:MD_ReferenceSystem")
        identifier = _el(_el(reference, "gmd:referenceSystemIdentifier"), "gmd:RS_Identifier")
        _string(identifier, "gmd:code", "WGS 84", "http://www.opengis.net/def/crs/EPSG/0/4326")
    _identification(_el(root, "gmd:identificationInfo"), record, scheme)
    # gml:id is an xs:ID: unique in the whole document, and a CSW response holds many
    # records, so it is derived from the record's internal id (unique in the store; two
    # sources may share an original id) rather than a constant. Hashed: always an NCName.
    digest = hashlib.sha1(record.id.encode()).hexdigest()[:16]
    for period in root.iter(_q("gml:TimePeriod")):
        period.set(_q("gml:id"), f"T-{digest}")
    if record.formats or iso_links(record.links):
        _distribution(_el(root, "gmd:distributionInfo"), record)
    if record.lineage:
        quality = _el(_el(root, "gmd:dataQualityInfo"), "gmd:DQ_DataQuality")
        scope = _el(_el(quality, "gmd:scope"), "gmd:DQ_Scope")
        _code(scope, "gmd:level", "MD_ScopeCode", record.resource_type)
        lineage = _el(_el(quality, "gmd:lineage"), "gmd:LI_Lineage")
        _string(lineage, "gmd:statement", record.lineage)
    return root


def _party(prop: etree._Element, contact: Contact, role: str | None = None) -> None:
    party = _el(prop, "gmd:CI_ResponsibleParty")
    if contact.name:
        _string(party, "gmd:individualName", contact.name)
    if contact.organisation:
        _string(party, "gmd:organisationName", contact.organisation)
    if contact.email:
        info = _el(_el(party, "gmd:contactInfo"), "gmd:CI_Contact")
        address = _el(_el(info, "gmd:address"), "gmd:CI_Address")
        _string(address, "gmd:electronicMailAddress", contact.email)
    _code(party, "gmd:role", "CI_RoleCode", role or contact.role or "pointOfContact")


def _identification(info: etree._Element, record: Record, scheme: ThemeScheme) -> None:
    service = record.resource_type == "service"
    ident = _el(info, "srv:SV_ServiceIdentification" if service else "gmd:MD_DataIdentification")
    citation = _el(_el(ident, "gmd:citation"), "gmd:CI_Citation")
    _string(citation, "gmd:title", record.title)
    dates = [
        (kind, value)
        for kind, value in (
            ("creation", record.created),
            ("publication", record.published),
            ("revision", record.revised),
        )
        if value is not None
    ]
    for kind, value in dates:
        cited = _el(_el(citation, "gmd:date"), "gmd:CI_Date")
        _date(cited, "gmd:date", value)
        _code(cited, "gmd:dateType", "CI_DateTypeCode", kind)
    if not dates:
        _el(citation, "gmd:date").set(_NIL, "unknown")
    for identifier in record.identifiers:
        kind = "gmd:RS_Identifier" if identifier.codespace else "gmd:MD_Identifier"
        element = _el(_el(citation, "gmd:identifier"), kind)
        _string(element, "gmd:code", identifier.code)
        if identifier.codespace:
            _string(element, "gmd:codeSpace", identifier.codespace)
    _string(ident, "gmd:abstract", record.abstract or record.title)
    for contact in record.contacts:
        _party(_el(ident, "gmd:pointOfContact"), contact)
    for thumbnail in record.thumbnails:
        graphic = _el(_el(ident, "gmd:graphicOverview"), "gmd:MD_BrowseGraphic")
        _string(graphic, "gmd:fileName", thumbnail)
    for block in _keyword_blocks(record.keywords):
        ident.append(block)
    themes = themes_keywords(record, scheme)
    if themes is not None:
        ident.append(themes)
    _constraints(ident, record)
    if service:
        _service_type(ident, record.links)
        _extent(ident, "srv:extent", record.bboxes, record.temporal)
        _code(ident, "srv:couplingType", "SV_CouplingType", "loose", prefix="srv")
        _operations(ident)
        return
    # MD_DataIdentification's language is mandatory (1..*): nil when the source gave none.
    if record.language:
        _code(ident, "gmd:language", "LanguageCode", record.language)
    else:
        _el(ident, "gmd:language").set(_NIL, "unknown")
    for category in _topic_categories(record.topic_categories):
        _el(_el(ident, "gmd:topicCategory"), "gmd:MD_TopicCategoryCode", category)
    _extent(ident, "gmd:extent", record.bboxes, record.temporal)


# The MD_TopicCategoryCode enumeration of the ISO 19139 schemas.
TOPIC_CATEGORIES = frozenset(
    [
        "farming",
        "biota",
        "boundaries",
        "climatologyMeteorologyAtmosphere",
        "economy",
        "elevation",
        "environment",
        "geoscientificInformation",
        "health",
        "imageryBaseMapsEarthCover",
        "intelligenceMilitary",
        "inlandWaters",
        "location",
        "oceans",
        "planningCadastre",
        "society",
        "structure",
        "transportation",
        "utilitiesCommunication",
    ]
)


def _topic_categories(categories: Iterable[str]) -> list[str]:
    """The schema-valid topic categories, each once: GeoNetwork's sub-categories
    (`environment_EnvironmentalProtection`) become their ISO category (`environment`); a
    value outside the enumeration is left out (it stays in the stored Record)."""
    found: list[str] = []
    for category in categories:
        code = category if category in TOPIC_CATEGORIES else category.partition("_")[0]
        if code in TOPIC_CATEGORIES and code not in found:
            found.append(code)
    return found


def _keyword_blocks(keywords: Iterable[Keyword]) -> list[etree._Element]:
    """One gmd:descriptiveKeywords per source thesaurus (free keywords in one block), split
    into Anchor keywords and plain ones: OWSLib (QGIS MetaSearch) reads only the
    CharacterString keywords of a block that mixes both."""
    groups: dict[tuple[str | None, str | None, bool], list[Keyword]] = {}
    for keyword in keywords:
        key = (keyword.thesaurus, keyword.thesaurus_uri, keyword.uri is not None)
        groups.setdefault(key, []).append(keyword)
    blocks = []
    for (title, uri, _), members in groups.items():
        prop = etree.Element(_q("gmd:descriptiveKeywords"))
        block = _el(prop, "gmd:MD_Keywords")
        for keyword in members:
            _string(block, "gmd:keyword", keyword.label, keyword.uri)
        if title or uri:
            _thesaurus(block, title or uri or "", uri, None)
        blocks.append(prop)
    return blocks


def _thesaurus(block: etree._Element, title: str, uri: str | None, when: date | None) -> None:
    citation = _el(_el(block, "gmd:thesaurusName"), "gmd:CI_Citation")
    _string(citation, "gmd:title", title, uri)
    if when is None:
        _el(citation, "gmd:date").set(_NIL, "unknown")
    else:
        cited = _el(_el(citation, "gmd:date"), "gmd:CI_Date")
        _date(cited, "gmd:date", when)
        _code(cited, "gmd:dateType", "CI_DateTypeCode", "publication")
    if uri:
        identifier = _el(_el(citation, "gmd:identifier"), "gmd:MD_Identifier")
        _string(identifier, "gmd:code", uri, uri)


def themes_keywords(record: Record, scheme: ThemeScheme) -> etree._Element | None:
    """The company themes as one gmd:descriptiveKeywords: each theme a gmx:Anchor to its
    concept URI labelled in the record's language, type `theme`, citing the company
    thesaurus by title (gmx:Anchor to the scheme URI), date and identifier. None when the
    record has no theme."""
    if not record.themes:
        return None
    prop = etree.Element(
        _q("gmd:descriptiveKeywords"), nsmap={k: v for k, v in NS.items() if k != "xsi"}
    )
    block = _el(prop, "gmd:MD_Keywords")
    for theme in record.themes:
        _string(
            block, "gmd:keyword", theme_label(theme, record.language, scheme.languages), theme.uri
        )
    _code(block, "gmd:type", "MD_KeywordTypeCode", "theme")
    _thesaurus(block, scheme.title(record.language), scheme.uri, scheme.date)
    return prop


def _constraints(ident: etree._Element, record: Record) -> None:
    limitations = [c for c in record.constraints if c != record.licence]
    if limitations:
        block = _el(_el(ident, "gmd:resourceConstraints"), "gmd:MD_Constraints")
        for text in limitations:
            _string(block, "gmd:useLimitation", text)
    if record.licence:
        legal = _el(_el(ident, "gmd:resourceConstraints"), "gmd:MD_LegalConstraints")
        _code(legal, "gmd:useConstraints", "MD_RestrictionCode", "otherRestrictions")
        is_uri = record.licence.startswith(("http://", "https://"))
        _string(legal, "gmd:otherConstraints", record.licence, record.licence if is_uri else None)


def _extent(
    ident: etree._Element, name: str, boxes: list[BBox], temporal: TemporalExtent | None
) -> None:
    if not boxes and temporal is None:
        return
    extent = _el(_el(ident, name), "gmd:EX_Extent")
    for box in boxes:
        element = _el(_el(extent, "gmd:geographicElement"), "gmd:EX_GeographicBoundingBox")
        for side, value in (
            ("westBoundLongitude", box.west),
            ("eastBoundLongitude", box.east),
            ("southBoundLatitude", box.south),
            ("northBoundLatitude", box.north),
        ):
            _el(_el(element, f"gmd:{side}"), "gco:Decimal", _decimal(value))
    if temporal is not None:
        period_extent = _el(_el(extent, "gmd:temporalElement"), "gmd:EX_TemporalExtent")
        period = _el(_el(period_extent, "gmd:extent"), "gml:TimePeriod", **{"gml:id": "T1"})
        for name_, when in (
            ("gml:beginPosition", temporal.start),
            ("gml:endPosition", temporal.end),
        ):
            position = _el(period, name_, when.isoformat() if when else None)
            if when is None:
                position.set("indeterminatePosition", "unknown")


def _decimal(value: float) -> str:
    """xs:decimal text: no exponent (repr gives `1e-05`, which the schema rejects)."""
    text = format(Decimal(repr(float(value))), "f")
    return text if "." in text else f"{text}.0"


_SERVICE_TYPES = {
    "OGC:WMS": "view",
    "OGC:WMTS": "view",
    "OGC:WFS": "download",
    "OGC:WCS": "download",
}


def _service_type(ident: etree._Element, links: list[Link]) -> None:
    kind = next(
        (_SERVICE_TYPES[link.protocol] for link in links if link.protocol in _SERVICE_TYPES),
        "other",
    )
    _el(_el(ident, "srv:serviceType"), "gco:LocalName", kind)


def _operations(ident: etree._Element) -> None:
    # srv:containsOperations is mandatory; the Record does not model operations.
    _el(ident, "srv:containsOperations").set(_NIL, "unknown")


def _distribution(info: etree._Element, record: Record) -> None:
    distribution = _el(info, "gmd:MD_Distribution")
    for name in record.formats:
        fmt = _el(_el(distribution, "gmd:distributionFormat"), "gmd:MD_Format")
        _string(fmt, "gmd:name", name)
        _el(fmt, "gmd:version").set(_NIL, "unknown")
    links = iso_links(record.links)
    if not links:
        return
    options = _el(_el(distribution, "gmd:transferOptions"), "gmd:MD_DigitalTransferOptions")
    for link in links:
        online = _el(_el(options, "gmd:onLine"), "gmd:CI_OnlineResource")
        _el(_el(online, "gmd:linkage"), "gmd:URL", link.url)
        protocol = _iso_protocol(link)
        if protocol:
            _string(online, "gmd:protocol", protocol)
        if link.name:
            _string(online, "gmd:name", link.name)
        if link.description:
            _string(online, "gmd:description", link.description)
        if link.function:
            _code(online, "gmd:function", "CI_OnLineFunctionCode", link.function)


_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*$")


def iso_links(links: Iterable[Link]) -> list[Link]:
    """The links whose URL is an xs:anyURI (gmd:URL's type): an RDF blank node
    (`_:dataset-1`) is no address a client can follow and would make the record invalid,
    so it is left out (it stays in the stored Record)."""
    kept = []
    for link in links:
        scheme, colon, _ = link.url.partition(":")
        has_scheme = colon and not any(c in scheme for c in "/?#")
        if not (has_scheme and not _URI_SCHEME.match(scheme)):
            kept.append(link)
    return kept


def _iso_protocol(link: Link) -> str | None:
    """The protocol string ISO catalogues use: Moisson's 'download' becomes
    WWW:DOWNLOAD-1.0-http--download (what GeoNetwork writes and MetaSearch shows); OGC ones
    are kept (`OGC:WMS`)."""
    if link.protocol == "download":
        return "WWW:DOWNLOAD-1.0-http--download"
    return link.protocol
