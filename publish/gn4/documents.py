"""A GeoNetwork 4 index document (the `_source` the datahub reads) built from a Record on the
way out, with GeoNetwork's `records.json` field names.

Values come from the same Record fields as the Moisson facets the facade filters and counts
on (publish/gn4/fields.py), so a document's `format`, `OrgForResourceObject`, `cl_topic`,
`isSpatial`, `license` and `publicationYearForResource` agree with its filters and buckets:
`publicationYearForResource` is the year of the reference date (Moisson's `year` facet),
`cl_topic` the company themes and their ancestors as labels in the request's language.
`createDate` / `changeDate` are the metadata date. Copies of a duplicate cluster are
`recordLink` siblings.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import date
from functools import lru_cache
from typing import Any

from indexer.backends.documents import theme_values
from indexer.licences import licence_classes
from indexer.thesaurus import Thesaurus
from moisson.record import Hit, Record, record_id
from publish.gn4.fields import is_spatial

__all__ = ["gn4_document", "source_filtered"]

_LANG3 = {"fr": "fre", "en": "eng", "de": "ger", "it": "ita", "es": "spa"}
USERINFO = "moisson|Moisson|Harvester|Administrator"


def _stamp(value: date | None) -> str | None:
    return f"{value.isoformat()}T00:00:00Z" if value else None


def _multi(text: str, language: str | None) -> dict[str, str]:
    found = {"default": text}
    if language:
        found[f"lang{language}"] = text
    return found


def _geometry(record: Record) -> dict[str, Any] | None:
    if not record.bboxes:
        return None
    w = min(b.west for b in record.bboxes)
    s = min(b.south for b in record.bboxes)
    e = max(b.east for b in record.bboxes)
    n = max(b.north for b in record.bboxes)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _quality(record: Record) -> int:
    checks = [
        bool(record.abstract),
        bool(record.keywords),
        bool(record.contacts),
        bool(record.bboxes),
        bool(record.links),
        bool(record.licence or record.constraints),
        record.reference_date() is not None,
        bool(record.lineage),
    ]
    return round(100 * sum(checks) / len(checks))


def gn4_document(
    record: Record, hit: Hit | None, thesaurus: Thesaurus, lang: str, languages: list[str]
) -> dict[str, Any]:
    """The GN4 `_source` of `record` (see the module docstring); `hit` gives the copies."""
    language = record.language
    fallback = [lang, *languages]
    contacts = [
        {
            "organisationObject": _multi(c.organisation or "", language),
            "organisation": c.organisation or "",
            "role": c.role or "pointOfContact",
            "email": c.email or "",
            "website": "",
            "logo": "",
            "individual": c.name or "",
            "position": "",
            "phone": "",
            "address": "",
        }
        for c in record.contacts
    ]
    orgs = list(dict.fromkeys(c.organisation for c in record.contacts if c.organisation))
    protocols = [link.protocol for link in record.links if link.protocol]
    topics = []
    for concept_id in theme_values(record):
        concept = thesaurus.concepts.get(concept_id)
        label = concept.pref(lang, fallback) if concept else concept_id
        topics.append({"key": label, "default": label, "link": concept.uri if concept else ""})
    reference = record.reference_date()
    links = [
        {
            "protocol": link.protocol or "WWW:LINK",
            "url": link.url,
            "name": link.name or "",
            "description": link.description or "",
            "function": link.function or "",
            "applicationProfile": "",
            "mimeType": link.media_type or "",
        }
        for link in record.links
    ]
    copies = [
        s for s in (hit.sources if hit else []) if record_id(s.id, s.original_id) != record.id
    ]
    doc: dict[str, Any] = {
        "uuid": record.id,
        "id": record.id,
        "isTemplate": "n",
        "draft": "n",
        "docType": "metadata",
        "documentStandard": "iso19139",
        "resourceType": [record.resource_type],
        "resourceTypeLegacy": [record.resource_type],
        "resourceTitleObject": _multi(record.title, language),
        "resourceAbstractObject": _multi(record.abstract or "", language),
        "contact": contacts,
        "contactForResource": contacts,
        "OrgForResourceObject": [_multi(o, language) for o in orgs],
        "createDate": _stamp(record.metadata_date),
        "changeDate": _stamp(record.metadata_date),
        "dateStamp": _stamp(record.metadata_date),
        "publicationDateForResource": [_stamp(record.published)] if record.published else [],
        "revisionDateForResource": [_stamp(record.revised)] if record.revised else [],
        "creationDateForResource": [_stamp(record.created)] if record.created else [],
        "publicationYearForResource": str(reference.year) if reference else None,
        "mainLanguage": language,
        "resourceLanguage": [language] if language else [],
        "userSavedCount": "0",
        "userinfo": USERINFO,
        "isHarvested": "true",
        "isPublishedToAll": "true",
        "sourceCatalogue": record.provenance.source_id,
        "link": links,
        "linkProtocol": protocols,
        "format": list(record.formats),
        "tag": [{"default": k.label, "key": k.uri or ""} for k in record.keywords]
        + [{"default": t["default"], "key": t["link"]} for t in topics],
        "allKeywords": {
            "th_otherKeywords": {
                "id": "",
                "title": "",
                "theme": "theme",
                "link": "",
                "keywords": [{"default": k.label} for k in record.keywords],
            },
            "th_moisson": {
                "id": "moisson.themes",
                "title": "Moisson themes",
                "theme": "theme",
                "link": "",
                "keywords": [{"default": t["default"], "link": t["link"]} for t in topics],
            },
        },
        "cl_topic": topics,
        "cl_maintenanceAndUpdateFrequency": (
            [{"key": record.maintenance_frequency, "default": record.maintenance_frequency}]
            if record.maintenance_frequency
            else []
        ),
        "isSpatial": "yes" if is_spatial(protocols, record.formats) else "no",
        "license": licence_classes(record),
        "licenseObject": [{"default": record.licence, "link": ""}] if record.licence else [],
        "MD_LegalConstraintsUseLimitationObject": [{"default": c} for c in record.constraints],
        "lineageObject": {"default": record.lineage} if record.lineage else None,
        "overview": [{"url": url} for url in record.thumbnails],
        "resourceTemporalExtentDateRange": (
            [
                {
                    "gte": _stamp(record.temporal.start),
                    "lte": _stamp(record.temporal.end),
                }
            ]
            if record.temporal
            else []
        ),
        "recordLink": [
            {
                "to": record_id(s.id, s.original_id),
                "type": "siblings",
                "associationType": "crossReference",
                "origin": "catalog",
                "title": s.name or s.id,
            }
            for s in copies
        ],
        "qualityScore": _quality(record),
    }
    geom = _geometry(record)
    if geom:
        doc["geom"] = geom
    return {k: v for k, v in doc.items() if v is not None}


@lru_cache(maxsize=256)
def _matcher(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regular expression for a set of `_source` wildcard patterns (compiled once)."""
    return re.compile("|".join(fnmatch.translate(p) for p in patterns) or "(?!)")


def source_filtered(
    doc: dict[str, Any], includes: list[str] | None, excludes: list[str]
) -> dict[str, Any]:
    """`doc` with ES `_source` include/exclude patterns applied to its top-level fields (a
    dotted pattern keeps or drops the whole field named by its first segment)."""
    keep = None if includes is None else _matcher(tuple(p.split(".", 1)[0] for p in includes))
    drop = _matcher(tuple(p for p in excludes if "." not in p))
    return {k: v for k, v in doc.items() if (keep is None or keep.match(k)) and not drop.match(k)}
