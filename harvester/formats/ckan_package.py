"""One CKAN package dict -> a Record: the field mapping of harvester/formats/ckan.py.

Fields mapped: title / notes (and ckanext-scheming `*_translated`), tags, groups,
organisation, author / maintainer, licence, metadata_created / metadata_modified, resources
(format, URL; WMS/WFS recognised from the format or the URL), extras (`spatial`,
`spatial_bbox`, `bbox-*`, `spatial_uri`, `theme`, `identifier`, `guid`,
`temporal_start/end`, `frequency`, `provenance`...) and the top-level ckanext-dcat scheming
fields when present.

`frequency` / `frequency-of-update` is the record's maintenance frequency (an ISO code when
it maps to one), not a constraint. Language: the package's `language`, ckanext-spatial's
`dataset-language` then `metadata-language`; else the language its resources agree on;
else the one language of its `title_translated`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from harvester.formats.extents import clean_bbox, clean_bboxes
from harvester.formats.frequency import maintenance_frequency
from harvester.formats.geometry import bbox_from_geojson, bbox_from_literal
from harvester.formats.normalise import (
    normalise_language,
    normalise_protocol,
    one_line,
    parse_date,
    tidy_text,
)
from moisson.record import (
    BBox,
    Contact,
    Identifier,
    Keyword,
    Link,
    Record,
    TemporalExtent,
)

__all__ = ["record_from_package", "text_of"]

# Resource formats that name a web page or an API, not a file to download.
_NOT_FILES = {"", "HTML", "HTM", "TEXT/HTML", "API", "WEB PAGE", "URL", "LINK", "WEBSITE", "SPARQL"}

# -- small readers ---------------------------------------------------------------------------


def text_of(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _json_value(value: Any) -> Any:
    """Extras hold JSON in strings ('["a", "b"]', '{"type": ...}'); plain strings stay."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _as_list(value: Any) -> list[Any]:
    value = _json_value(value)
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _extras(package: dict[str, Any]) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    raw = package.get("extras")
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                extras[item["key"]] = item.get("value")
    elif isinstance(raw, dict):
        extras.update(raw)
    return extras


def _field(package: dict[str, Any], extras: dict[str, Any], *names: str) -> Any:
    """A ckanext-dcat field: top-level (scheming) first, then the legacy extra."""
    for name in names:
        value = package.get(name)
        if value not in (None, "", []):
            return value
        value = extras.get(name)
        if value not in (None, "", []):
            return value
    return None


def _translated(value: Any, languages: tuple[str, ...]) -> str | None:
    if not isinstance(value, dict):
        return None
    for language in languages:
        if text_of(value.get(language)):
            return text_of(value.get(language))
    return next((text_of(v) for v in value.values() if text_of(v)), None)


# -- the mapping ---------------------------------------------------------------------------


def record_from_package(
    package: dict[str, Any],
    source_id: str,
    original_id: str,
    languages: tuple[str, ...] = ("fr", "en"),
    portal_url: str | None = None,
) -> Record:
    extras = _extras(package)
    title = _translated(package.get("title_translated"), languages) or text_of(package.get("title"))
    title = one_line(title or text_of(package.get("name")))
    if not title:
        raise ValueError("no title")
    abstract = _translated(package.get("notes_translated"), languages) or text_of(
        package.get("notes")
    )
    links, formats = _resources(package)
    page = text_of(package.get("url"))
    if page and page.startswith(("http://", "https://")):
        links.insert(0, Link(url=page, protocol="WWW:LINK", function="information"))
    name = text_of(package.get("name"))
    if portal_url and name:
        links.insert(
            0,
            Link(
                url=f"{portal_url.rstrip('/')}/dataset/{name}",
                protocol="WWW:LINK",
                function="information",
                description="CKAN dataset page",
            ),
        )
    metadata_created = parse_date(text_of(package.get("metadata_created")))
    metadata_modified = parse_date(text_of(package.get("metadata_modified")))
    issued = parse_date(text_of(_field(package, extras, "issued")))
    modified = parse_date(text_of(_field(package, extras, "modified")))
    bboxes, places = _spatial(package, extras)
    resource_type = text_of(_field(package, extras, "resource-type", "dcat_type")) or "dataset"
    return Record.new(
        source_id,
        original_id,
        title=title,
        abstract=tidy_text(abstract),
        language=_language(package, extras),
        identifiers=_identifiers(package, extras),
        keywords=_keywords(package, extras, languages) + places,
        contacts=_contacts(package, extras),
        bboxes=bboxes,
        temporal=_temporal(package, extras),
        published=issued or metadata_created,
        revised=modified or metadata_modified,
        metadata_date=metadata_modified,
        resource_type=resource_type
        if resource_type in ("dataset", "series", "service")
        else "dataset",
        formats=formats,
        links=links,
        licence=text_of(package.get("license_title"))
        or text_of(package.get("license_id"))
        or text_of(package.get("license_url")),
        constraints=_constraints(package, extras),
        maintenance_frequency=maintenance_frequency(
            text_of(_field(package, extras, "frequency", "frequency-of-update"))
        ),
        lineage=tidy_text(text_of(_field(package, extras, "provenance", "lineage"))),
    )


def _identifiers(package: dict[str, Any], extras: dict[str, Any]) -> list[Identifier]:
    out: list[Identifier] = []
    for key in ("identifier", "guid"):
        for value in _as_list(_field(package, extras, key)):
            if text_of(value):
                out.append(Identifier(code=str(value).strip()))
    for value in _as_list(_field(package, extras, "alternate_identifier")):
        if text_of(value):
            out.append(Identifier(code=str(value).strip()))
    name = text_of(package.get("name"))
    if name:
        out.append(Identifier(code=name, codespace="ckan:name"))
    unique: dict[str, Identifier] = {}
    for identifier in out:
        unique.setdefault(identifier.code, identifier)
    return list(unique.values())


def _keywords(
    package: dict[str, Any], extras: dict[str, Any], languages: tuple[str, ...]
) -> list[Keyword]:
    keywords: list[Keyword] = []
    for tag in package.get("tags") or []:
        label = (
            text_of(tag.get("display_name") or tag.get("name"))
            if isinstance(tag, dict)
            else text_of(tag)
        )
        if label:
            keywords.append(Keyword(label=label))
    for group in package.get("groups") or []:
        if isinstance(group, dict):
            label = text_of(group.get("display_name") or group.get("title") or group.get("name"))
            if label:
                keywords.append(Keyword(label=label, thesaurus="CKAN group"))
    for theme in _as_list(_field(package, extras, "theme")):
        text = text_of(theme)
        if text and text.startswith(("http://", "https://")):
            label = text.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            keywords.append(Keyword(label=label, uri=text))
        elif text:
            keywords.append(Keyword(label=text))
    unique: dict[tuple[str, str | None, str | None], Keyword] = {}
    for keyword in keywords:
        unique.setdefault((keyword.label, keyword.uri, keyword.thesaurus), keyword)
    return list(unique.values())


def _contact_dicts(value: Any, role: str) -> Iterator[Contact]:
    for item in _as_list(value):
        if isinstance(item, dict):
            name, email = text_of(item.get("name")), text_of(item.get("email"))
            if name or email:
                yield Contact(organisation=name, email=email, role=role)


def _contacts(package: dict[str, Any], extras: dict[str, Any]) -> list[Contact]:
    contacts: list[Contact] = []
    organisation = package.get("organization")
    if isinstance(organisation, dict):
        name = text_of(organisation.get("title") or organisation.get("name"))
        if name:
            contacts.append(Contact(organisation=name, role="owner"))
    for prefix, role in (("author", "author"), ("maintainer", "pointOfContact")):
        name, email = text_of(package.get(prefix)), text_of(package.get(f"{prefix}_email"))
        if name or email:
            contacts.append(Contact(name=name, email=email, role=role))
    contacts.extend(_contact_dicts(package.get("publisher"), "publisher"))
    contacts.extend(_contact_dicts(package.get("creator"), "author"))
    contacts.extend(_contact_dicts(package.get("contact"), "pointOfContact"))
    for prefix, role in (("publisher", "publisher"), ("contact", "pointOfContact")):
        name, email = text_of(extras.get(f"{prefix}_name")), text_of(extras.get(f"{prefix}_email"))
        if name or email:
            contacts.append(Contact(organisation=name, email=email, role=role))
    email = text_of(extras.get("contact-email"))
    if email and not any(c.email == email for c in contacts):
        contacts.append(Contact(email=email, role="pointOfContact"))
    return contacts


def _spatial(package: dict[str, Any], extras: dict[str, Any]) -> tuple[list[BBox], list[Keyword]]:
    boxes: list[BBox] = []
    places: list[Keyword] = []
    for key in ("spatial", "spatial_bbox"):
        value = text_of(extras.get(key)) or text_of(package.get(key))
        if value:
            boxes.extend(bbox_from_literal(value))
    sides = [
        extras.get(f"bbox-{side}") for side in ("west-long", "south-lat", "east-long", "north-lat")
    ]
    if all(side is not None for side in sides):
        boxes.extend(clean_bbox(*sides))
    for coverage in _as_list(package.get("spatial_coverage")):
        if not isinstance(coverage, dict):
            continue
        for key in ("bbox", "geom"):
            found = bbox_from_geojson(coverage.get(key))
            if found:
                boxes.extend(found)
                break
        if text_of(coverage.get("uri")):
            label = (
                text_of(coverage.get("text")) or str(coverage["uri"]).rstrip("/").rsplit("/", 1)[-1]
            )
            places.append(Keyword(label=label, uri=str(coverage["uri"]).strip(), thesaurus="place"))
    uri = text_of(extras.get("spatial_uri"))
    if uri:
        label = text_of(extras.get("spatial_text")) or uri.rstrip("/").rsplit("/", 1)[-1]
        places.append(Keyword(label=label, uri=uri, thesaurus="place"))
    return clean_bboxes(boxes), places


def _temporal(package: dict[str, Any], extras: dict[str, Any]) -> TemporalExtent | None:
    start = parse_date(text_of(_field(package, extras, "temporal_start")))
    end = parse_date(text_of(_field(package, extras, "temporal_end")))
    for coverage in _as_list(package.get("temporal_coverage")):
        if isinstance(coverage, dict):
            start = start or parse_date(text_of(coverage.get("start")))
            end = end or parse_date(text_of(coverage.get("end")))
    if start is None and end is None:
        return None
    if start and end and start > end:
        start, end = end, start
    return TemporalExtent(start=start, end=end)


def _language(package: dict[str, Any], extras: dict[str, Any]) -> str | None:
    stated = _field(package, extras, "language", "dataset-language", "metadata-language")
    found = _first_language(_as_list(stated))
    if found:
        return found
    # ckanext-dcat puts dct:language on distributions too: the one they all agree on.
    by_resource = {
        _first_language(_as_list(resource.get("language")))
        for resource in _as_list(package.get("resources"))
        if isinstance(resource, dict) and resource.get("language") not in (None, "", [])
    }
    if len(by_resource) == 1 and None not in by_resource:
        return by_resource.pop()
    translated = package.get("title_translated")
    if isinstance(translated, dict):
        given = [key for key, value in translated.items() if text_of(value)]
        if len(given) == 1:
            return _first_language([given[0]])
    return None


def _first_language(values: list[Any]) -> str | None:
    for value in values:
        text = text_of(value)
        if text:
            found = normalise_language(text.rstrip("/").rsplit("/", 1)[-1])
            if found:
                return found
    return None


def _constraints(package: dict[str, Any], extras: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key in ("access_rights", "access_constraints", "rights"):
        for value in _as_list(_field(package, extras, key)):
            text = text_of(value)
            if text and text not in out:
                out.append(text)
    return out


def _resources(package: dict[str, Any]) -> tuple[list[Link], list[str]]:
    links: list[Link] = []
    formats: list[str] = []
    for resource in package.get("resources") or []:
        if not isinstance(resource, dict):
            continue
        url = text_of(resource.get("url")) or text_of(resource.get("access_url"))
        fmt = text_of(resource.get("format")) or ""
        if fmt and fmt.upper() not in (f.upper() for f in formats):
            formats.append(fmt)
        if not url:
            continue
        protocol = normalise_protocol(fmt, url)
        if protocol is None or protocol == fmt:
            if fmt.upper() in _NOT_FILES and resource.get("url_type") != "upload":
                protocol = "WWW:LINK"
            else:
                protocol = "download"
        name = text_of(resource.get("name"))
        links.append(
            Link(
                url=url,
                protocol=protocol,
                name=name if protocol.startswith("OGC") else None,
                description=one_line(name or text_of(resource.get("description"))),
                function="download" if protocol == "download" else None,
                media_type=text_of(resource.get("mimetype")),
            )
        )
    return links, formats
