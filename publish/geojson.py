"""Record -> OGC API - Records Part 1 GeoJSON feature (recordGeoJSON.yaml).

Pure: the endpoint passes the record's own URLs (`self`, `collection`, `alternate`) and the
other copies of its duplicate cluster; this module only maps fields.

- `properties`: `type` (ISO scope code), `title`, `description`, `keywords` (free keywords),
  `themes` (the company themes as concepts `{id, title, url}` under the company thesaurus
  URI as `scheme`; each source thesaurus kept as its own scheme: its URI, else its title),
  `contacts` with `roles`, `formats`, `rights`, `license`, `created` / `updated` (the
  resource's creation and last revision as RFC 3339 date-times), `language`,
  `externalIds`, `sources` (every copy of the cluster: source and original id);
- `time`: the temporal extent as an interval with `..` for an open end, at the feature
  level (Records Part 1) and repeated in `properties.time` for clients written against the
  drafts (pygeoapi, Moisson's own harvester);
- `geometry`: a Polygon from the bbox (a MultiPolygon for several); `properties.extent`
  keeps each box too, so a client reading it gets every box back, not their envelope;
- `links`: the record's online resources with `type` = the protocol for OGC services
  (`OGC:WMS`... what QGIS MetaSearch offers "add layer" for), the media type otherwise,
  `rel` `enclosure` for downloads, `service` for OGC services, `related` otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from moisson.record import BBox, Keyword, Link, Record
from publish.scheme import ThemeScheme, language_tag, theme_label

__all__ = ["bbox_geometry", "record_feature", "record_links", "themes_property"]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _datetime(value: date | None) -> str | None:
    return f"{value.isoformat()}T00:00:00Z" if value else None


def bbox_geometry(boxes: Sequence[BBox]) -> dict[str, Any] | None:
    """GeoJSON Polygon of one box (counter-clockwise ring), MultiPolygon of several."""
    rings = [
        [
            [
                [b.west, b.south],
                [b.east, b.south],
                [b.east, b.north],
                [b.west, b.north],
                [b.west, b.south],
            ]
        ]
        for b in boxes
    ]
    if not rings:
        return None
    if len(rings) == 1:
        return {"type": "Polygon", "coordinates": rings[0]}
    return {"type": "MultiPolygon", "coordinates": rings}


def _scheme_of(keyword: Keyword) -> str | None:
    if keyword.thesaurus_uri or keyword.thesaurus:
        return keyword.thesaurus_uri or keyword.thesaurus
    if keyword.uri and ("/" in keyword.uri or "#" in keyword.uri):
        # A coded keyword without a cited thesaurus: its namespace is the scheme.
        return keyword.uri.rstrip("/#").rsplit("#", 1)[0].rsplit("/", 1)[0]
    return None


def themes_property(record: Record, scheme: ThemeScheme) -> list[dict[str, Any]]:
    """Company themes first (one scheme), then one entry per source thesaurus."""
    themes: list[dict[str, Any]] = []
    if record.themes:
        themes.append(
            {
                "concepts": [
                    {
                        "id": theme.id,
                        "title": theme_label(theme, record.language, scheme.languages),
                        "url": theme.uri,
                    }
                    for theme in record.themes
                ],
                "scheme": scheme.uri,
            }
        )
    by_scheme: dict[str, list[dict[str, Any]]] = {}
    for keyword in record.keywords:
        name = _scheme_of(keyword)
        if name is None or name == scheme.uri:
            continue
        concept: dict[str, Any] = {"id": keyword.uri or keyword.label, "title": keyword.label}
        if keyword.uri and keyword.uri.startswith(("http://", "https://")):
            concept["url"] = keyword.uri
        by_scheme.setdefault(name, []).append(concept)
    themes.extend({"concepts": concepts, "scheme": name} for name, concepts in by_scheme.items())
    return themes


def _contacts(record: Record) -> list[dict[str, Any]]:
    out = []
    for contact in record.contacts:
        item: dict[str, Any] = {}
        if contact.name:
            item["name"] = contact.name
        if contact.organisation:
            item["organization"] = contact.organisation
        if not item:  # the schema wants a name or an organisation: the address is all there is
            item["name"] = contact.email
        if contact.email and _EMAIL.match(contact.email):  # editors write 'n/a' there too
            item["emails"] = [{"value": contact.email}]
        item["roles"] = [contact.role or "pointOfContact"]
        out.append(item)
    return out


_OGC = ("OGC:", "OGC API")


def record_links(links: Iterable[Link]) -> list[dict[str, Any]]:
    """The record's online resources as Records links (see the module docstring)."""
    out = []
    for link in links:
        protocol = link.protocol or ""
        item: dict[str, Any] = {"href": link.url}
        if protocol.startswith(_OGC):
            item["rel"] = "service"
            item["type"] = protocol
            title = link.name or link.description
        elif protocol == "download":
            item["rel"] = "enclosure"
            # A real media type, else `download` (a bare href would be guessed from its URL).
            media = link.media_type if link.media_type and "/" in link.media_type else None
            item["type"] = media or "download"
            title = link.description or link.name
        else:
            item["rel"] = "related"
            media = link.media_type if link.media_type and "/" in link.media_type else None
            item["type"] = media or protocol or "text/html"
            title = link.description or link.name
        if title:
            item["title"] = title
        out.append(item)
    return out


def record_feature(
    record: Record,
    scheme: ThemeScheme,
    *,
    links: Sequence[dict[str, Any]] = (),
    sources: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The Records GeoJSON feature of `record`. `links` are the endpoint's own links
    (self, collection, alternate: other copies of a cluster), put before the record's
    resources; `sources` the (source id, original id) of every copy, the record's own
    when empty."""
    p: dict[str, Any] = {"type": record.resource_type, "title": record.title}
    if record.abstract:
        p["description"] = record.abstract
    free = [k.label for k in record.keywords if _scheme_of(k) is None]
    if free:
        p["keywords"] = list(dict.fromkeys(free))
    themes = themes_property(record, scheme)
    if themes:
        p["themes"] = themes
    if record.language:
        p["language"] = {"code": language_tag(record.language) or record.language}
    if record.identifiers:
        p["externalIds"] = [
            {"scheme": i.codespace or "default", "value": i.code} for i in record.identifiers
        ]
    if record.formats:
        p["formats"] = [{"name": name} for name in record.formats]
    if record.contacts:
        p["contacts"] = _contacts(record)
    if record.licence:
        p["license"] = record.licence
    rights = [c for c in record.constraints if c != record.licence]
    if rights:
        p["rights"] = "; ".join(rights)
    if record.created:
        p["created"] = _datetime(record.created)
    if record.revised:
        p["updated"] = _datetime(record.revised)
    time = None
    if record.temporal:
        start, end = record.temporal.start, record.temporal.end
        time = {
            "interval": [start.isoformat() if start else "..", end.isoformat() if end else ".."]
        }
        p["time"] = time
    if record.bboxes:
        p["extent"] = {"spatial": {"bbox": [b.as_list() for b in record.bboxes], "crs": CRS84}}
    copies = sources or [(record.provenance.source_id, record.provenance.original_id)]
    p["sources"] = [{"source": s, "id": original} for s, original in copies]
    all_links = list(links) + record_links(record.links)
    feature: dict[str, Any] = {"id": record.id, "type": "Feature"}
    if time is not None:  # absent rather than null: the schema's `time` is itself nullable
        feature["time"] = time
    feature["geometry"] = bbox_geometry(record.bboxes)
    feature["properties"] = p
    feature["links"] = all_links
    return feature
