"""ISO 19115-3 (mdb) records: the field table for `iso_mapping`, where met.

19115-3 carries the same information as 19139 under other names (mdb:metadataIdentifier,
cit:CI_Responsibility/cit:party...). Two namespace generations exist (mdb/cit/mrl 1.0 from
2016, 2.0 from 2018) with identical element names, so one path template is compiled once
per generation and the root's namespace picks the table.
"""

from __future__ import annotations

from harvester.formats.iso_mapping import Group, IsoTable, xpath_compiler

__all__ = ["ISO19115_3_TABLES", "iso19115_3_namespaces"]

_BASE = "http://standards.iso.org/iso/19115/-3"


def iso19115_3_namespaces(generation: str) -> dict[str, str]:
    """Prefix map for one generation ('1.0' or '2.0' of mdb/cit/mrl)."""
    return {
        "mdb": f"{_BASE}/mdb/{generation}",
        "cit": f"{_BASE}/cit/{generation}",
        "mrl": f"{_BASE}/mrl/{generation}",
        "mri": f"{_BASE}/mri/1.0",
        "gex": f"{_BASE}/gex/1.0",
        "mcc": f"{_BASE}/mcc/1.0",
        "lan": f"{_BASE}/lan/1.0",
        "mrd": f"{_BASE}/mrd/1.0",
        "mco": f"{_BASE}/mco/1.0",
        "gco": f"{_BASE}/gco/1.0",
        "gcx": f"{_BASE}/gcx/1.0",
        "srv": f"{_BASE}/srv/2.0",
        "srv21": f"{_BASE}/srv/2.1",
        "gml": "http://www.opengis.net/gml/3.2",
        "xlink": "http://www.w3.org/1999/xlink",
    }


def _table(generation: str) -> IsoTable:
    ns = iso19115_3_namespaces(generation)
    x = xpath_compiler(ns)
    cit, mri, mco, gex, mcc = (f"{{{ns[p]}}}" for p in ("cit", "mri", "mco", "gex", "mcc"))
    extent = "mri:extent/* | srv:extent/* | srv21:extent/*"
    party = Group(
        x("mdb:contact/*"),
        children={f"{cit}role": "role"},
        nested={
            "organisation": x("cit:party/cit:CI_Organisation/cit:name"),
            "name": x(
                "cit:party/cit:CI_Individual/cit:name"
                " | cit:party/*/cit:individual/cit:CI_Individual/cit:name"
            ),
            "email": x(
                "cit:party/*/cit:contactInfo/*/cit:address/*/cit:electronicMailAddress"
                " | cit:party/*/cit:individual/*/cit:contactInfo/*/cit:address/*"
                "/cit:electronicMailAddress"
            ),
        },
    )
    return IsoTable(
        name="ISO 19115-3",
        identification=x("mdb:identificationInfo/*"),
        record={
            "original_id": x("mdb:metadataIdentifier/*/mcc:code"),
            "language": x("mdb:defaultLocale/*/lan:language"),
            "metadata_date": x("mdb:dateInfo/*/cit:date"),
            "scope": x("mdb:metadataScope/*/mdb:resourceScope"),
            "lineage": x("mdb:resourceLineage/*/mrl:statement"),
        },
        resource={
            "title": x("mri:citation/*/cit:title"),
            "abstract": x("mri:abstract"),
            "language": x("mri:defaultLocale/*/lan:language"),
        },
        formats=x(
            "mdb:distributionInfo/*/mrd:distributionFormat/*/mrd:formatSpecificationCitation/*"
            "/cit:title"
            " | mdb:identificationInfo/*/mri:resourceFormat/*/mrd:formatSpecificationCitation/*"
            "/cit:title"
        ),
        topic_categories=x("mri:topicCategory"),
        thumbnails=x("mri:graphicOverview/*/mcc:fileName"),
        identifiers=Group(
            x("mri:citation/*/cit:identifier/*"),
            children={f"{mcc}code": "code", f"{mcc}codeSpace": "codespace"},
        ),
        keywords=Group(
            x("mri:descriptiveKeywords/*"),
            children={f"{mri}keyword": "label"},
            nested={"thesaurus": x("mri:thesaurusName/*/cit:title")},
        ),
        record_contacts=party,
        resource_contacts=Group(
            x("mri:pointOfContact/* | mri:citation/*/cit:citedResponsibleParty/*"),
            children=party.children,
            nested=party.nested,
        ),
        dates=Group(
            x("mri:citation/*/cit:date/*"),
            children={f"{cit}date": "date", f"{cit}dateType": "type"},
        ),
        boxes=Group(
            x(
                " | ".join(
                    f"{e}/gex:geographicElement/gex:EX_GeographicBoundingBox"
                    for e in extent.split(" | ")
                )
            ),
            children={
                f"{gex}westBoundLongitude": "west",
                f"{gex}eastBoundLongitude": "east",
                f"{gex}southBoundLatitude": "south",
                f"{gex}northBoundLatitude": "north",
            },
        ),
        periods=Group(
            x(" | ".join(f"{e}/gex:temporalElement/*/gex:extent/*" for e in extent.split(" | "))),
            children={
                f"{{{ns['gml']}}}{name}": field
                for name, field in (
                    ("beginPosition", "begin"),
                    ("begin", "begin"),
                    ("endPosition", "end"),
                    ("end", "end"),
                    ("timePosition", "instant"),
                )
            },
        ),
        links=Group(
            x(
                "mdb:distributionInfo/*/mrd:transferOptions/*/mrd:onLine/*"
                " | mdb:distributionInfo/*/mrd:distributor/*/mrd:distributorTransferOptions/*"
                "/mrd:onLine/*"
            ),
            children={
                f"{cit}linkage": "url",
                f"{cit}protocol": "protocol",
                f"{cit}name": "name",
                f"{cit}description": "description",
                f"{cit}function": "function",
            },
        ),
        constraints=Group(
            x("mri:resourceConstraints/*"),
            children={
                f"{mco}useLimitation": "use_limitation",
                f"{mco}accessConstraints": "access",
                f"{mco}useConstraints": "access",
                f"{mco}otherConstraints": "other",
            },
        ),
    )


# Root namespace -> table; iso19139.parse_iso dispatches on it.
ISO19115_3_TABLES: dict[str, IsoTable] = {
    f"{_BASE}/mdb/{generation}": _table(generation) for generation in ("1.0", "2.0")
}
