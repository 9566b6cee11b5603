"""The queryables CSW clients may name, and what each one is in the neutral query.

One table, read by the filter and CQL translators, SortBy, GetDomain and the capabilities,
so what the capabilities announce is exactly what the translators accept.

Each queryable is one of:

- `text`: free text over some of the indexed text fields (title, keywords, abstract);
  comparisons are word matches (analysed: case, accents and French/English stems ignored),
  never byte equality: `dc:title = 'Lorem ipsum'` finds every title holding that phrase;
- `keyword`: an exact keyword field of the index (`FieldFilter`); LIKE 'abc%' is a prefix;
- `date`: a date field (`Range`), compared at day precision;
- `spatial`: the record's WGS84 boxes (`Spatial`).

Names are matched with their prefix (`dc:title`, `apiso:Title`) and, as pycsw and
GeoNetwork accept, without it (`Title`, `AnyText`), case-sensitively for the local part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from publish.csw.errors import CswError

__all__ = [
    "APISO_QUERYABLES",
    "CORE_QUERYABLES",
    "Queryable",
    "lookup",
]

Kind = Literal["text", "keyword", "date", "spatial"]


@dataclass(frozen=True)
class Queryable:
    name: str  # the announced, prefixed name
    kind: Kind
    field: str = ""  # keyword / date field of moisson.query; "" for text and spatial
    text_fields: tuple[str, ...] = ()  # text: () is every text field
    sort: str | None = None  # moisson.query sort field, None: not sortable
    domain: str | None = None  # facet answering GetDomain, None: no value list
    # keyword: the text fields a LIKE with a leading wildcard searches instead ('%eau%' on
    # dc:subject finds the keyword 'qualité de l'eau'); () refuses such patterns.
    like_text: tuple[str, ...] = ()


_ALL_TEXT: tuple[str, ...] = ()

CORE_QUERYABLES: tuple[Queryable, ...] = (
    Queryable("csw:AnyText", "text", text_fields=_ALL_TEXT),
    Queryable("dc:title", "text", text_fields=("title",), sort="title"),
    Queryable("dc:subject", "keyword", field="keyword", domain="keyword", like_text=("keywords",)),
    Queryable("dct:abstract", "text", text_fields=("abstract",)),
    Queryable("dc:description", "text", text_fields=("abstract",)),
    Queryable(
        "dc:type", "keyword", field="resource_type", sort="resource_type", domain="resource_type"
    ),
    Queryable("dc:identifier", "keyword", field="original_id", sort="id"),
    Queryable("dc:format", "keyword", field="format", sort="format", domain="format"),
    Queryable("dc:language", "keyword", field="language", sort="language"),
    Queryable(
        "dc:publisher", "keyword", field="organisation", sort="organisation", domain="organisation"
    ),
    Queryable(
        "dc:creator", "keyword", field="organisation", sort="organisation", domain="organisation"
    ),
    Queryable("dc:date", "date", field="date", sort="date"),
    Queryable("dct:modified", "date", field="modified", sort="modified"),
    Queryable("ows:BoundingBox", "spatial"),
)

APISO_QUERYABLES: tuple[Queryable, ...] = (
    Queryable("apiso:AnyText", "text", text_fields=_ALL_TEXT),
    Queryable("apiso:Title", "text", text_fields=("title",), sort="title"),
    Queryable("apiso:Abstract", "text", text_fields=("abstract",)),
    Queryable(
        "apiso:Subject", "keyword", field="keyword", domain="keyword", like_text=("keywords",)
    ),
    Queryable(
        "apiso:Type", "keyword", field="resource_type", sort="resource_type", domain="resource_type"
    ),
    Queryable("apiso:Identifier", "keyword", field="original_id", sort="id"),
    Queryable("apiso:ResourceIdentifier", "keyword", field="identifier"),
    Queryable("apiso:Modified", "date", field="modified", sort="modified"),
    Queryable("apiso:CreationDate", "date", field="created", sort="created"),
    Queryable("apiso:PublicationDate", "date", field="published", sort="published"),
    Queryable("apiso:RevisionDate", "date", field="modified", sort="modified"),
    Queryable("apiso:TempExtent_begin", "date", field="begin", sort="begin"),
    Queryable("apiso:TempExtent_end", "date", field="end", sort="end"),
    Queryable(
        "apiso:OrganisationName",
        "keyword",
        field="organisation",
        sort="organisation",
        domain="organisation",
    ),
    Queryable("apiso:TopicCategory", "keyword", field="topic_category"),
    Queryable("apiso:ServiceType", "keyword", field="protocol", domain="protocol"),
    Queryable("apiso:Format", "keyword", field="format", sort="format", domain="format"),
    Queryable("apiso:Language", "keyword", field="language", sort="language"),
    Queryable("apiso:BoundingBox", "spatial"),
)

_BY_NAME: dict[str, Queryable] = {}
for _q in (*CORE_QUERYABLES, *APISO_QUERYABLES):
    _BY_NAME[_q.name] = _q
    _BY_NAME.setdefault(_q.name.partition(":")[2], _q)  # unprefixed: first one wins
    _BY_NAME.setdefault(_q.name.lower(), _q)
_BY_NAME["AnyText"] = _BY_NAME["csw:AnyText"]
# Prefixes clients use for the same namespaces.
_PREFIX_ALIASES = {"dcterms": "dct", "dcmi": "dc", "ogc": "csw", "gml": "ows"}


def lookup(name: str, locator: str) -> Queryable:
    """The queryable called `name` (prefixed, unprefixed, or an XPath-ish `/dc:title`),
    else InvalidParameterValue at `locator`."""
    clean = name.strip().lstrip("/")
    found = _BY_NAME.get(clean)
    if found is None:
        prefix, sep, local = clean.partition(":")
        if sep:
            found = _BY_NAME.get(f"{_PREFIX_ALIASES.get(prefix, prefix)}:{local}")
    if found is None:
        raise CswError(
            "InvalidParameterValue",
            f"unknown queryable {name[:100]!r}; see GetCapabilities for the queryables",
            locator,
        )
    return found
