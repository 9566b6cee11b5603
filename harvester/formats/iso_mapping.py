"""The engine behind the ISO mappers: a declarative `IsoTable` of XPaths in, a `Record` out.

ISO 19139 and ISO 19115-3 describe the same things with different element names, and
profiles (geocat.ch CHE, INSPIRE, NOAA gmi) substitute their own class elements. So a dialect
is only data: an `IsoTable` of precompiled XPaths that step over class elements with `*`
(which is what makes profile roots such as che:CHE_MD_Metadata work unchanged), and this
module turns any table into Records with a few named helpers.

Speed: a table is compiled once into three `PathSet`s (harvester/formats/path_walk.py): the
paths from the metadata root, the paths from an identification section, and each group's
nested paths. Each set is answered by one walk of the tree with tag dispatch instead of one
XPath evaluation per path (~36 per record). Repeated structures (links, dates, boxes...) are
read by `Group`: the walk finds the occurrences, then a single pass over each occurrence's
children dispatches on the child's tag. The XPaths stay in the table as the reference
(`find=PathSet.find_by_xpath`), which the tests compare with the walk on every fixture.
Values are read by harvester/formats/iso_values.py; the Record is built by
`trusted_record` (no second validation of what this module guarantees); repeated keywords,
links, contacts and identifiers are dropped on their values before any model is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from lxml import etree

from harvester.formats.extents import clean_bbox, clean_bboxes
from harvester.formats.iso_values import (
    first_text,
    href_of,
    text_and_href,
    texts_of,
    unique,
)
from harvester.formats.normalise import (
    is_doi,
    looks_like_licence,
    normalise_language,
    normalise_protocol,
    one_line,
    parse_date,
    tidy_text,
)
from harvester.formats.path_walk import PathSet, TablePath
from harvester.formats.trusted_record import trusted_model, trusted_record
from moisson.errors import RecordRejected
from moisson.record import BBox, Contact, Identifier, Keyword, Link, Record, TemporalExtent

__all__ = [
    "Finder",
    "Group",
    "IsoTable",
    "extract_record",
    "select",
    "xpath_compiler",
]

GCO_ISO_TYPE = "{http://www.isotc211.org/2005/gco}isoType"
_MIME = frozenset(("application", "image", "text", "video", "audio", "model"))
_NOT_A_CONSTRAINT = frozenset(("otherRestrictions",))  # only says "see otherConstraints"

Row = dict[str, list[Any]]
# How a PathSet is answered: PathSet.find (one walk, the default) or PathSet.find_by_xpath.
Finder = Callable[[PathSet, etree._Element], dict[str, list[Any]]]


def xpath_compiler(namespaces: Mapping[str, str]) -> Callable[[str], TablePath]:
    """A compile function bound to one dialect's namespace map, for building tables."""

    def compile_path(path: str) -> TablePath:
        return TablePath(path, namespaces)

    return compile_path


def select(path: etree.XPath, context: etree._Element) -> list[Any]:
    """Evaluate a table path. Table paths always select node-sets (elements or strings), so
    the result is a list; typed as such here once instead of at every call site."""
    found = path(context)
    return found if isinstance(found, list) else []


@dataclass(frozen=True)
class Group:
    """A repeated structure: `each` finds the occurrences, `children` maps a direct child's
    tag (Clark notation) to a field name, `nested` maps a field to a path relative to the
    occurrence. Reading gives one row per occurrence: field -> list of property elements."""

    each: TablePath
    children: Mapping[str, str] = field(default_factory=dict)
    nested: Mapping[str, TablePath] = field(default_factory=dict)

    @cached_property
    def nested_paths(self) -> PathSet:
        return PathSet(self.nested)

    @cached_property
    def one_walk(self) -> PathSet | None:
        """Children and nested paths in one trie, so each occurrence's children are
        iterated once; only when their field names differ (each list then comes out in
        document order exactly as the two passes give it)."""
        if not self.nested or set(self.children.values()) & set(self.nested):
            return None
        return PathSet(self.nested, direct=self.children)

    def rows(self, occurrences: Iterable[etree._Element], find: Finder) -> list[Row]:
        rows: list[Row] = []
        children = self.children
        nested = self.nested_paths if self.nested else None
        one_walk = self.one_walk if find is PathSet.find else None
        for element in occurrences:
            row: Row = {}
            if one_walk is not None:
                one_walk.find_into(element, row)
                rows.append(row)
                continue
            if children:
                for child in element:
                    name = children.get(child.tag)
                    if name is not None:
                        if name in row:
                            row[name].append(child)
                        else:
                            row[name] = [child]
            if nested is None:
                pass
            elif find is PathSet.find:  # the walk appends to the row itself
                nested.find_into(element, row)
            else:
                for name, found in find(nested, element).items():
                    if name in row:
                        row[name].extend(found)
                    else:
                        row[name] = found
            rows.append(row)
        return rows


@dataclass(frozen=True)
class IsoTable:
    """Where each Record field lives in one ISO dialect.

    `record` paths are relative to the metadata root (original_id, language, metadata_date,
    scope, lineage); `resource` paths to the first identification section (title, abstract,
    language); groups marked (ident) are read from every identification section.
    """

    name: str
    identification: TablePath
    record: Mapping[str, TablePath]
    resource: Mapping[str, TablePath]
    formats: TablePath  # root -> format name properties
    topic_categories: TablePath  # (ident)
    thumbnails: TablePath  # (ident)
    identifiers: Group  # (first ident) code, codespace
    keywords: Group  # (ident) label (repeated), thesaurus
    record_contacts: Group  # (root) organisation, name, email, role
    resource_contacts: Group  # (ident) same fields
    dates: Group  # (first ident) date, type
    boxes: Group  # (ident) west, east, south, north
    periods: Group  # (ident) begin, end, instant
    links: Group  # (root) url, protocol, name, description, function
    constraints: Group  # (ident) use_limitation, other, access

    @cached_property
    def record_keys(self) -> tuple[tuple[str, str], ...]:
        """(field, its name in root_paths), computed once rather than per record."""
        return tuple((name, f"record.{name}") for name in self.record)

    @cached_property
    def resource_keys(self) -> tuple[tuple[str, str], ...]:
        return tuple((name, f"resource.{name}") for name in self.resource)

    @cached_property
    def root_paths(self) -> PathSet:
        """Everything read from the metadata root, in one walk."""
        return PathSet(
            {
                "identification": self.identification,
                **{f"record.{name}": path for name, path in self.record.items()},
                "formats": self.formats,
                "record_contacts": self.record_contacts.each,
                "links": self.links.each,
            }
        )

    @cached_property
    def ident_paths(self) -> PathSet:
        """Everything read from one identification section, in one walk."""
        return PathSet(
            {
                **{f"resource.{name}": path for name, path in self.resource.items()},
                "topic_categories": self.topic_categories,
                "thumbnails": self.thumbnails,
                "identifiers": self.identifiers.each,
                "keywords": self.keywords.each,
                "resource_contacts": self.resource_contacts.each,
                "dates": self.dates.each,
                "boxes": self.boxes.each,
                "periods": self.periods.each,
                "constraints": self.constraints.each,
            }
        )


def extract_record(
    root: etree._Element, table: IsoTable, source_id: str, find: Finder = PathSet.find
) -> Record:
    """Map one ISO metadata root to a Record.

    Identity precedence: the metadata identifier (fileIdentifier / metadataIdentifier), else
    the first resource identifier code, else RecordRejected: without a stable id a record
    could not be updated or retired on the next run. A record without a title is rejected
    too (nothing to show in search results). `find` answers the table's paths (the one-walk
    default, or XPath by XPath for the equivalence tests).
    """
    at_root = find(table.root_paths, root)
    idents: list[etree._Element] = at_root.get("identification", [])
    per_ident = [find(table.ident_paths, ident) for ident in idents]
    first = per_ident[0] if per_ident else {}

    def every(name: str) -> Sequence[Any]:
        if len(per_ident) == 1:  # the usual record: its one section's list as it is
            return first.get(name, ())
        return [found for paths in per_ident for found in paths.get(name, ())]

    record = {name: first_text(at_root.get(key)) for name, key in table.record_keys}
    resource = {name: first_text(first.get(key)) for name, key in table.resource_keys}
    identifiers = _identifiers(table.identifiers.rows(first.get("identifiers", ()), find))
    original_id = one_line(record.get("original_id")) or (
        identifiers[0].code if identifiers else None
    )
    if not original_id:
        raise RecordRejected(
            f"no metadata identifier and no resource identifier in this {table.name} record: "
            "it cannot get a stable id"
        )
    title = one_line(resource.get("title"))
    if not title:
        raise RecordRejected(f"no title in {table.name} record {original_id!r}")
    dates = _dates(table.dates.rows(first.get("dates", ()), find))
    licence, constraints = _constraints(table.constraints.rows(every("constraints"), find))
    return trusted_record(
        source_id,
        original_id,
        title=title,
        abstract=tidy_text(resource.get("abstract")),
        language=normalise_language(resource.get("language"))
        or normalise_language(record.get("language")),
        identifiers=identifiers,
        keywords=_keywords(table.keywords.rows(every("keywords"), find)),
        topic_categories=unique(texts_of(every("topic_categories"))),
        contacts=_contacts(
            table.record_contacts.rows(at_root.get("record_contacts", ()), find)
            + table.resource_contacts.rows(every("resource_contacts"), find)
        ),
        bboxes=_boxes(table.boxes.rows(every("boxes"), find)),
        temporal=_temporal(table.periods.rows(every("periods"), find)),
        created=dates.get("creation"),
        published=dates.get("publication"),
        revised=dates.get("revision"),
        metadata_date=parse_date(record.get("metadata_date")),
        resource_type=_resource_type(record.get("scope"), idents),
        formats=unique(v for v in map(one_line, texts_of(at_root.get("formats"))) if v),
        links=_links(table.links.rows(at_root.get("links", ()), find)),
        licence=licence,
        constraints=constraints,
        lineage=tidy_text(record.get("lineage")),
        thumbnails=unique(texts_of(every("thumbnails"))),
    )


# Each value list below is deduplicated on the field values, in field order (what `_unique`
# compares), before the model is built: a repeat costs a tuple, not a validated model.


def _identifiers(rows: list[Row]) -> list[Identifier]:
    identifiers = []
    seen: set[tuple[str | None, ...]] = set()
    for row in rows:
        code = one_line(first_text(row.get("code")))
        if not code:
            continue
        codespace = one_line(first_text(row.get("codespace")))
        if codespace is None and is_doi(code):
            codespace = "doi"
        if (key := (code, codespace)) not in seen:
            seen.add(key)
            identifiers.append(trusted_model(Identifier, {"code": code, "codespace": codespace}))
    return identifiers


def _keywords(rows: list[Row]) -> list[Keyword]:
    keywords = []
    seen: set[tuple[str | None, ...]] = set()
    for row in rows:
        thesaurus_titles = row.get("thesaurus") or []
        if len(thesaurus_titles) == 1:
            title, thesaurus_uri = text_and_href(thesaurus_titles[0])
            thesaurus = one_line(title)
        else:
            thesaurus = one_line(first_text(thesaurus_titles))
            thesaurus_uri = next(filter(None, map(href_of, thesaurus_titles)), None)
        for prop in row.get("label", ()):
            text, uri = text_and_href(prop)
            label = one_line(text)
            if label and (key := (label, uri, thesaurus, thesaurus_uri)) not in seen:
                seen.add(key)
                keywords.append(
                    trusted_model(
                        Keyword,
                        {
                            "label": label,
                            "uri": uri,
                            "thesaurus": thesaurus,
                            "thesaurus_uri": thesaurus_uri,
                        },
                    )
                )
    return keywords


def _contacts(rows: list[Row]) -> list[Contact]:
    contacts = []
    seen: set[tuple[str | None, ...]] = set()
    for row in rows:
        organisation = one_line(first_text(row.get("organisation")))
        name = one_line(first_text(row.get("name")))
        email = one_line(first_text(row.get("email")))
        if not (organisation or name or email):
            continue
        role = one_line(first_text(row.get("role")))
        if (key := (organisation, name, email, role)) not in seen:
            seen.add(key)
            contacts.append(
                trusted_model(
                    Contact,
                    {"organisation": organisation, "name": name, "email": email, "role": role},
                )
            )
    return contacts


def _dates(rows: list[Row]) -> dict[str, date]:
    """Citation dates by type: the earliest creation and publication, the latest revision."""
    found: dict[str, date] = {}
    for row in rows:
        kind = first_text(row.get("type"))
        value = parse_date(first_text(row.get("date")))
        if kind not in ("creation", "publication", "revision") or value is None:
            continue
        current = found.get(kind)
        if current is None or (value > current if kind == "revision" else value < current):
            found[kind] = value
    return found


def _boxes(rows: list[Row]) -> list[BBox]:
    boxes: list[BBox] = []
    for row in rows:
        boxes.extend(
            clean_bbox(
                first_text(row.get("west")),
                first_text(row.get("south")),
                first_text(row.get("east")),
                first_text(row.get("north")),
            )
        )
    return clean_bboxes(boxes)


def _temporal(rows: list[Row]) -> TemporalExtent | None:
    """The span covering every period and instant; an open end ('now') stays open."""
    starts: list[date] = []
    ends: list[date] = []
    for row in rows:
        instant = parse_date(first_text(row.get("instant")))
        start = parse_date(first_text(row.get("begin"))) or instant
        end = parse_date(first_text(row.get("end"))) or instant
        if start:
            starts.append(start)
        if end:
            ends.append(end)
    if not starts and not ends:
        return None
    return TemporalExtent(start=min(starts, default=None), end=max(ends, default=None))


def _resource_type(scope: str | None, idents: Sequence[etree._Element]) -> str:
    """'service' when the record describes a service (its identification says so even when
    hierarchyLevel was left at the editor's default), else hierarchyLevel, else 'dataset'."""
    for ident in idents:
        if ident.tag.endswith("SV_ServiceIdentification") or (
            ident.get(GCO_ISO_TYPE) or ""
        ).endswith("SV_ServiceIdentification"):
            return "service"
    if scope:
        return scope.removeprefix("MD_ScopeCode_").strip() or "dataset"
    return "dataset"


def _links(rows: list[Row]) -> list[Link]:
    links = []
    seen: set[tuple[str | None, ...]] = set()
    for row in rows:
        url = one_line(first_text(row.get("url")))
        if not url or not (url[0].isalnum() or any(ch.isalnum() for ch in url)):
            continue  # editors' placeholders: '-'
        given = one_line(first_text(row.get("protocol")))
        function = one_line(first_text(row.get("function")))
        media_type = given if given and given.split("/", 1)[0] in _MIME else None
        protocol = normalise_protocol(given, url, function)
        name = one_line(first_text(row.get("name")))
        description = tidy_text(first_text(row.get("description")))
        if (key := (url, protocol, name, description, function, media_type)) not in seen:
            seen.add(key)
            links.append(
                trusted_model(
                    Link,
                    {
                        "url": url,
                        "protocol": protocol,
                        "name": name,
                        "description": description,
                        "function": function,
                        "media_type": media_type,
                    },
                )
            )
    return links


def _constraints(rows: list[Row]) -> tuple[str | None, list[str]]:
    """(licence, every constraint text). The licence is the first otherConstraints, then the
    first useLimitation, that names a licence: its text when the words say so, else the URL
    of an Anchor to a licence (its text is then often just 'no restrictions')."""
    texts: list[str] = []
    for row in rows:
        texts.extend(t for t in map(tidy_text, texts_of(row.get("use_limitation"))) if t)
        texts.extend(c for c in texts_of(row.get("access")) if c not in _NOT_A_CONSTRAINT)
        texts.extend(t for t in map(tidy_text, texts_of(row.get("other"))) if t)
    return _licence(rows, "other") or _licence(rows, "use_limitation"), unique(texts)


def _licence(rows: list[Row], name: str) -> str | None:
    for row in rows:
        for prop in row.get(name, ()):
            text, href = text_and_href(prop)
            if text and looks_like_licence(text):
                return tidy_text(text)
            if href and looks_like_licence(href):  # 'No restrictions' -> a CC deed
                return href
    return None
