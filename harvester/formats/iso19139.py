"""ISO 19139 (gmd) records to Records: the field table, and `parse_iso`.

Covers gmd:MD_Metadata, gmi:MI_Metadata (ISO 19115-2) and profile roots in another
namespace whose content is gmd (geocat.ch che:CHE_MD_Metadata...): every path steps over class
elements with `*`, so profile substitutes such as che:CHE_MD_DataIdentification or
che:CHE_CI_ResponsibleParty match like the gmd originals. ISO 19115-3 (mdb) roots are handed
to `harvester.formats.iso19115_3`, so callers need one entry point for "an ISO record".
"""

from __future__ import annotations

from lxml import etree

from harvester.formats.iso19115_3 import ISO19115_3_TABLES
from harvester.formats.iso_mapping import Finder, Group, IsoTable, extract_record, xpath_compiler
from harvester.formats.path_walk import PathSet
from moisson.record import Record

__all__ = ["ISO19139_TABLE", "ISO_NS", "iso_table", "parse_iso"]

ISO_NS: dict[str, str] = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "srv": "http://www.isotc211.org/2005/srv",
    "gml": "http://www.opengis.net/gml",
    "gml32": "http://www.opengis.net/gml/3.2",
    "xlink": "http://www.w3.org/1999/xlink",
}

_x = xpath_compiler(ISO_NS)
_GMD = "{http://www.isotc211.org/2005/gmd}"


def _party(each: str) -> Group:
    """CI_ResponsibleParty, wherever it is cited."""
    return Group(
        _x(each),
        children={
            f"{_GMD}organisationName": "organisation",
            f"{_GMD}individualName": "name",
            f"{_GMD}role": "role",
        },
        nested={"email": _x("gmd:contactInfo/*/gmd:address/*/gmd:electronicMailAddress")},
    )


# gml 3.1 and 3.2 both occur (some files even bind the `gml` prefix to 3.2): match by URI.
# gml:begin / gml:end wrap a TimeInstant; text_of reads the timePosition inside.
_TIME_FIELDS = {
    f"{{{ISO_NS[gml]}}}{name}": field
    for gml in ("gml", "gml32")
    for name, field in (
        ("beginPosition", "begin"),
        ("begin", "begin"),
        ("endPosition", "end"),
        ("end", "end"),
        ("timePosition", "instant"),
    )
}

ISO19139_TABLE = IsoTable(
    name="ISO 19139",
    identification=_x("gmd:identificationInfo/*"),
    record={
        "original_id": _x("gmd:fileIdentifier"),
        "language": _x("gmd:language"),
        "metadata_date": _x("gmd:dateStamp"),
        "scope": _x("gmd:hierarchyLevel"),
        "lineage": _x("gmd:dataQualityInfo/*/gmd:lineage/*/gmd:statement"),
    },
    resource={
        "title": _x("gmd:citation/*/gmd:title"),
        "abstract": _x("gmd:abstract"),
        "language": _x("gmd:language"),
    },
    formats=_x(
        "gmd:distributionInfo/*/gmd:distributionFormat/*/gmd:name"
        " | gmd:distributionInfo/*/gmd:distributor/*/gmd:distributorFormat/*/gmd:name"
    ),
    topic_categories=_x("gmd:topicCategory"),
    thumbnails=_x("gmd:graphicOverview/*/gmd:fileName"),
    identifiers=Group(
        _x("gmd:citation/*/gmd:identifier/*"),
        children={f"{_GMD}code": "code", f"{_GMD}codeSpace": "codespace"},
    ),
    keywords=Group(
        _x("gmd:descriptiveKeywords/*"),
        children={f"{_GMD}keyword": "label"},
        nested={"thesaurus": _x("gmd:thesaurusName/*/gmd:title")},
    ),
    record_contacts=_party("gmd:contact/*"),
    resource_contacts=_party("gmd:pointOfContact/* | gmd:citation/*/gmd:citedResponsibleParty/*"),
    dates=Group(
        _x("gmd:citation/*/gmd:date/*"),
        children={f"{_GMD}date": "date", f"{_GMD}dateType": "type"},
    ),
    boxes=Group(
        _x(
            "gmd:extent/*/gmd:geographicElement/gmd:EX_GeographicBoundingBox"
            " | srv:extent/*/gmd:geographicElement/gmd:EX_GeographicBoundingBox"
        ),
        children={
            f"{_GMD}westBoundLongitude": "west",
            f"{_GMD}eastBoundLongitude": "east",
            f"{_GMD}southBoundLatitude": "south",
            f"{_GMD}northBoundLatitude": "north",
        },
    ),
    periods=Group(
        _x(
            "gmd:extent/*/gmd:temporalElement/*/gmd:extent/*"
            " | srv:extent/*/gmd:temporalElement/*/gmd:extent/*"
        ),
        children=_TIME_FIELDS,
    ),
    links=Group(
        _x(
            "gmd:distributionInfo/*/gmd:transferOptions/*/gmd:onLine/*"
            " | gmd:distributionInfo/*/gmd:distributor/*/gmd:distributorTransferOptions/*"
            "/gmd:onLine/*"
        ),
        children={
            f"{_GMD}linkage": "url",
            f"{_GMD}protocol": "protocol",
            f"{_GMD}name": "name",
            f"{_GMD}description": "description",
            f"{_GMD}function": "function",
        },
    ),
    constraints=Group(
        _x("gmd:resourceConstraints/*"),
        children={
            f"{_GMD}useLimitation": "use_limitation",
            f"{_GMD}accessConstraints": "access",
            f"{_GMD}useConstraints": "access",
            f"{_GMD}otherConstraints": "other",
        },
    ),
)


def iso_table(element: etree._Element) -> IsoTable:
    """The table that reads this ISO root: 19115-3 by its namespace, else 19139."""
    tag = element.tag if isinstance(element.tag, str) else ""
    namespace = tag[1:].partition("}")[0]
    return ISO19115_3_TABLES.get(namespace, ISO19139_TABLE)


def parse_iso(element: etree._Element, source_id: str, find: Finder = PathSet.find) -> Record:
    """Map one ISO metadata element (19139, 19115-2, a gmd-based profile, or 19115-3) to a
    Record. Raises RecordRejected when the record has no usable id or no title. `find` is
    for the tests: PathSet.find_by_xpath gives the XPath reference mapping."""
    return extract_record(element, iso_table(element), source_id, find)
