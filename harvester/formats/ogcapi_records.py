"""OGC API - Records GeoJSON -> Records (pure: bytes or dicts in, Harvested items out).

Reads Part 1 records (`properties.title`, `description`, `keywords`, `themes` with
`concepts` and `scheme`, `contacts`, `time`, `language`, `license`, feature `links` with
`rel` and `type`) and the draft-era properties pygeoapi and others still serve
(`providers` as strings, `externalIds`, `extent.spatial.bbox`, `extent.temporal.interval`).

Identity precedence: the feature `id`, then `properties.identifier`. Link protocols:
`OGC:WMS`-style `type`s and service URLs are normalised like CSW links; `self`,
`alternate`, `collection` and paging links describe the record document, not the data, and
are left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from harvester.formats import jsonsafe
from harvester.formats.extents import clean_bbox, clean_bboxes
from harvester.formats.geometry import bbox_from_geojson
from harvester.formats.normalise import (
    normalise_language,
    normalise_protocol,
    one_line,
    parse_date,
    tidy_text,
)
from moisson.errors import SourceProtocolError
from moisson.record import (
    BBox,
    Contact,
    Harvested,
    Identifier,
    Keyword,
    Link,
    Record,
    TemporalExtent,
)

__all__ = ["RecordsPage", "harvest_feature", "read_records_page", "record_from_feature"]

GEOJSON = "application/geo+json"
_SKIPPED_RELS = {
    "self",
    "alternate",
    "collection",
    "root",
    "next",
    "prev",
    "previous",
    "first",
    "last",
}


@dataclass
class RecordsPage:
    items: list[Harvested] = field(default_factory=list)
    next_href: str | None = None
    matched: int | None = None


def read_records_page(data: bytes, source_id: str) -> RecordsPage:
    """Items, the `rel=next` href and `numberMatched` of an /items response (or of a single
    record). Raises SourceProtocolError when the body is not a GeoJSON record document."""
    try:
        body = jsonsafe.loads(data, what="the OGC API Records answer")
    except ValueError as exc:
        raise SourceProtocolError(
            f"OGC API Records answered something that is not JSON: {exc}"
        ) from exc
    if not isinstance(body, dict):
        raise SourceProtocolError("OGC API Records answer is not a JSON object")
    if body.get("type") == "Feature":
        return RecordsPage([harvest_feature(body, source_id)])
    if body.get("type") != "FeatureCollection" or not isinstance(body.get("features"), list):
        detail = body.get("description") or body.get("title") or body.get("code")
        suffix = f": {detail}" if detail else ""
        raise SourceProtocolError(
            f"not an OGC API Records items response (no FeatureCollection){suffix}"
        )
    next_href = None
    for link in body.get("links") or []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "next"
            and isinstance(link.get("href"), str)
        ):
            next_href = link["href"]
            if link.get("type") in (None, GEOJSON, "application/json"):
                break
    matched = body.get("numberMatched")
    return RecordsPage(
        [harvest_feature(f, source_id) for f in body["features"] if isinstance(f, dict)],
        next_href,
        matched if isinstance(matched, int) else None,
    )


def harvest_feature(feature: dict[str, Any], source_id: str) -> Harvested:
    raw = json.dumps(feature, ensure_ascii=False, sort_keys=True).encode("utf-8")
    properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
    original_id = _text(feature.get("id")) or _text(properties.get("identifier"))
    if original_id is None:
        return Harvested(original_id=None, raw=raw, content_type=GEOJSON, error="record without id")
    try:
        record = record_from_feature(feature, source_id, original_id)
    except (ValidationError, ValueError) as exc:
        reason = " ".join(str(exc).splitlines()[:3])
        return Harvested(
            original_id=original_id,
            raw=raw,
            content_type=GEOJSON,
            error=f"unusable record {original_id}: {reason}",
        )
    return Harvested(original_id=original_id, raw=raw, content_type=GEOJSON, record=record)


def _text(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return value.strip() or None if isinstance(value, str) else None


def record_from_feature(feature: dict[str, Any], source_id: str, original_id: str) -> Record:
    p: dict[str, Any] = feature.get("properties") or {}
    title = one_line(_text(p.get("title")))
    if not title:
        raise ValueError("no title")
    language = p.get("language")
    if isinstance(language, dict):
        language = language.get("code")
    resource_type = _text(p.get("type")) or "dataset"
    return Record.new(
        source_id,
        original_id,
        title=title,
        abstract=tidy_text(_text(p.get("description"))),
        language=normalise_language(_text(language)),
        identifiers=_identifiers(p),
        keywords=_keywords(p),
        contacts=_contacts(p),
        bboxes=_bboxes(feature, p),
        temporal=_temporal(p),
        created=parse_date(_text(p.get("created"))),
        revised=parse_date(_text(p.get("updated"))),
        metadata_date=parse_date(_text(p.get("recordUpdated") or p.get("updated"))),
        resource_type=resource_type.lower(),
        formats=[
            _text(f.get("name") if isinstance(f, dict) else f) or ""
            for f in p.get("formats") or []
            if _text(f.get("name") if isinstance(f, dict) else f)
        ],
        links=_links(feature.get("links") or []),
        licence=_text(p.get("license")),
        constraints=[r for r in [_text(p.get("rights"))] if r],
    )


def _identifiers(p: dict[str, Any]) -> list[Identifier]:
    out: list[Identifier] = []
    for item in (p.get("externalIds") or []) + (p.get("externalIdentifiers") or []):
        if isinstance(item, dict) and _text(item.get("value")):
            scheme = _text(item.get("scheme"))
            out.append(
                Identifier(
                    code=str(item["value"]).strip(),
                    codespace=None if scheme == "default" else scheme,
                )
            )
    if _text(p.get("identifier")):
        out.append(Identifier(code=str(p["identifier"]).strip()))
    unique: dict[str, Identifier] = {}
    for identifier in out:
        unique.setdefault(identifier.code, identifier)
    return list(unique.values())


def _keywords(p: dict[str, Any]) -> list[Keyword]:
    keywords = [Keyword(label=one_line(k) or k) for k in p.get("keywords") or [] if _text(k)]
    for theme in p.get("themes") or []:
        if not isinstance(theme, dict):
            continue
        scheme = _text(theme.get("scheme"))
        for concept in theme.get("concepts") or []:
            if isinstance(concept, dict):
                label = _text(concept.get("title")) or _text(concept.get("id"))
                uri = _text(concept.get("url")) or _text(concept.get("uri"))
            else:
                label, uri = _text(concept), None
            if label:
                keywords.append(Keyword(label=label, uri=uri, thesaurus_uri=scheme))
    unique: dict[tuple[str, str | None], Keyword] = {}
    for keyword in keywords:
        unique.setdefault((keyword.label, keyword.uri), keyword)
    return list(unique.values())


def _contacts(p: dict[str, Any]) -> list[Contact]:
    contacts: list[Contact] = []
    for item in p.get("contacts") or []:
        if not isinstance(item, dict):
            continue
        emails = item.get("emails") or []
        email = next(
            (
                _text(e.get("value"))
                for e in emails
                if isinstance(e, dict) and _text(e.get("value"))
            ),
            None,
        )
        roles = item.get("roles") or []
        contacts.append(
            Contact(
                organisation=_text(item.get("organization")),
                name=_text(item.get("name")),
                email=email,
                role=_text(roles[0]) if roles else None,
            )
        )
    for provider in p.get("providers") or []:
        if isinstance(provider, str) and provider.strip():
            contacts.append(Contact(organisation=one_line(provider), role="pointOfContact"))
        elif isinstance(provider, dict) and _text(provider.get("name")):
            contacts.append(
                Contact(organisation=_text(provider.get("name")), role="pointOfContact")
            )
    return [c for c in contacts if c.organisation or c.name or c.email]


def _bboxes(feature: dict[str, Any], p: dict[str, Any]) -> list[BBox]:
    boxes: list[BBox] = []
    extent = p.get("extent") if isinstance(p.get("extent"), dict) else {}
    spatial = extent.get("spatial") if isinstance(extent.get("spatial"), dict) else {}
    for box in spatial.get("bbox") or []:
        if isinstance(box, list) and len(box) in (4, 6):
            half = len(box) // 2
            boxes.extend(clean_bbox(box[0], box[1], box[half], box[half + 1]))
    if not boxes and feature.get("geometry"):
        boxes.extend(bbox_from_geojson(feature["geometry"]))
    return clean_bboxes(boxes)


def _temporal(p: dict[str, Any]) -> TemporalExtent | None:
    interval: list[Any] = []
    time = p.get("time")
    if isinstance(time, dict):
        if isinstance(time.get("interval"), list):
            interval = time["interval"]
        elif time.get("date") or time.get("timestamp"):
            interval = [time.get("date") or time.get("timestamp")] * 2
    extent = p.get("extent") if isinstance(p.get("extent"), dict) else {}
    temporal = extent.get("temporal") if isinstance(extent.get("temporal"), dict) else {}
    if not interval and isinstance(temporal.get("interval"), list):
        interval = temporal["interval"]
        if interval and isinstance(interval[0], list):
            interval = interval[0]
    if len(interval) != 2:
        return None
    start = parse_date(_text(interval[0])) if interval[0] not in ("..", None) else None
    end = parse_date(_text(interval[1])) if interval[1] not in ("..", None) else None
    if start is None and end is None:
        return None
    if start and end and start > end:
        start, end = end, start
    return TemporalExtent(start=start, end=end)


def _links(links: list[Any]) -> list[Link]:
    out: list[Link] = []
    for link in links:
        if not isinstance(link, dict) or not _text(link.get("href")):
            continue
        rel = _text(link.get("rel")) or ""
        if rel in _SKIPPED_RELS:
            continue
        kind = _text(link.get("type"))
        href = str(link["href"]).strip()
        if kind and kind.lower() == "download":
            protocol: str | None = "download"
        else:
            protocol = normalise_protocol(kind if kind and "/" not in kind else None, href)
        if protocol is None:
            protocol = "download" if rel == "enclosure" else "WWW:LINK"
        title = one_line(_text(link.get("title")))
        out.append(
            Link(
                url=href,
                protocol=protocol,
                name=title if protocol.startswith("OGC") else None,
                description=title,
                function="download" if protocol == "download" else None,
                media_type=kind if kind and "/" in kind else None,
            )
        )
    return out
