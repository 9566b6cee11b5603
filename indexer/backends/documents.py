"""What a Record becomes in a search index, the same for every backend.

The hit payload (what a result list shows), the facet values (one list per facet of FACETS)
and the three searchable fields are derived here once, so the embedded index and OpenSearch
cannot disagree on what 'organisation' or 'year' means for a record.

Themes (assigned by indexer/themes.py before indexing; see moisson.record.Theme):

- facet `theme`: each theme's concept id followed by its ancestors (`Theme.broader`), each
  once, so a record filed under 'wetlands' also counts (and is found by a filter) under
  'water'. Filtering on a parent therefore includes its children with no query-time
  expansion; a backend only has to index these values like any other facet.
- hit payload `themes`: `{"id", "uri", "labels": {lang: prefLabel}}` per assigned theme
  (not the implied ancestors); the API picks the label in the requested language.
- a `ThemeExpansion` of the Query (the user's words are a concept label) matches records
  whose `theme` facet holds one of its concepts; tests/contract holds both backends to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from indexer.analysis import highlight, normalise, tokenise
from indexer.licences import licence_classes
from moisson.errors import BadQuery
from moisson.query import DATE_FIELDS, FACETS, KEYWORD_FIELDS
from moisson.record import PUBLIC, Hit, Query, Record

__all__ = [
    "ACCESS",
    "CLUSTER_SOURCE",
    "EXTRA_KEYWORDS",
    "OUTRANKED",
    "RANKED_BELOW",
    "access_values",
    "check_filters",
    "collapse_values",
    "date_values",
    "dois",
    "facet_field",
    "facet_values",
    "hit_payload",
    "keyword_values",
    "merged_suggestions",
    "page_hit",
    "searchable_fields",
    "suggest_key",
    "theme_values",
    "visible_sources",
]

# The hidden facet holding who may see a record (Record.access; see indexer/access.py): not
# in FACETS, never counted or shown, only filtered on with the caller's Query.visible().
ACCESS = "_access"

# Search collapse (moisson.record.Collapse; docs/duplicates.md), two more hidden facets:
# OUTRANKED holds RANKED_BELOW for every record that is not its cluster's canonical, plus the
# `access` values of the members ranked before it. A collapsed search drops the records
# holding RANKED_BELOW (no roles: admins, who see every copy) or one of the caller's visible
# values (a better copy is visible to them), inside the engine's query.
# CLUSTER_SOURCE replaces `source` in collapsed searches: the sources of every copy the
# record's own viewers may also see, so a cluster counts once in each of its sources' buckets.
OUTRANKED = "_outranked"
RANKED_BELOW = "#ranked-below"  # no role is spelled so (roles are names)
CLUSTER_SOURCE = "_cluster_source"

# Keyword fields that are not facets (moisson.query.KEYWORD_FIELDS): filterable, never
# counted. Indexed like the hidden facets (a list of values per record).
EXTRA_KEYWORDS: tuple[str, ...] = tuple(k for k in KEYWORD_FIELDS if k not in FACETS)

_DOI = re.compile(r"\b(10\.\d{4,9}/\S+)", re.IGNORECASE)


def _dedupe(values: Iterable[str | None]) -> list[str]:
    """Stripped, non-empty, deduplicated case-insensitively keeping the first spelling."""
    seen: dict[str, str] = {}
    for value in values:
        text = (value or "").strip()
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
    return list(seen.values())


# Format spellings that name one format (key: lower-cased, letters and digits only), so
# the format facet shows it once (issue 20): GeoPackage/GPKG, Shapefile/SHP/ESRI Shapefile.
_FORMATS = {
    "gpkg": "GeoPackage",
    "geopackage": "GeoPackage",
    "ogcgeopackage": "GeoPackage",
    "shp": "Shapefile",
    "shapefile": "Shapefile",
    "esrishapefile": "Shapefile",
    "esrishp": "Shapefile",
    "geojson": "GeoJSON",
    "json": "JSON",
    "csv": "CSV",
    "tif": "GeoTIFF",
    "tiff": "GeoTIFF",
    "geotiff": "GeoTIFF",
    "gtiff": "GeoTIFF",
    "kml": "KML",
    "kmz": "KMZ",
    "gml": "GML",
    "pdf": "PDF",
    "zip": "ZIP",
}
# 'OGC:WMS-1.1.1-http-get-map', 'ogc:wms' -> 'OGC:WMS': one protocol, one facet value.
_OGC_PROTOCOL = re.compile(r"^ogc:(wms|wmts|wfs|wcs|csw|sos|wps)(?![a-z])", re.IGNORECASE)


def canonical_value(facet: str, value: str) -> str:
    """The one spelling a facet shows for `value`: known format synonyms and OGC protocol
    versions folded; keywords in ALL CAPS (over one word) get a sentence case, so
    'ZONES HUMIDES' and 'Zones humides' are one value (single-word acronyms stay; other
    case or accent variants are not folded yet: which spelling to show needs every record).
    Filters are canonicalised the same way (search_api/params.py), so old links still work."""
    text = value.strip()
    if facet == "format":
        return _FORMATS.get(re.sub(r"[^0-9a-z]", "", text.casefold()), text)
    if facet == "protocol":
        found = _OGC_PROTOCOL.match(text)
        return f"OGC:{found.group(1).upper()}" if found else text
    if facet == "keyword" and text.isupper() and len(text.split()) > 1:
        lowered = text.lower()
        return lowered[0].upper() + lowered[1:]
    return text


def facet_values(record: Record) -> dict[str, list[str]]:
    """Facet name (one of FACETS in indexer/backends/base.py) -> the record's values for it;
    empty facets omitted."""
    reference = record.reference_date()
    values = {
        "source": [record.provenance.source_id],
        "organisation": _dedupe(c.organisation for c in record.contacts),
        "keyword": _dedupe(canonical_value("keyword", k.label) for k in record.keywords),
        "resource_type": _dedupe([record.resource_type]),
        "format": _dedupe(canonical_value("format", f) for f in record.formats),
        "protocol": _dedupe(
            canonical_value("protocol", link.protocol) for link in record.links if link.protocol
        ),
        "year": [str(reference.year)] if reference else [],
        "theme": theme_values(record),
    }
    return {name: found for name, found in values.items() if found}


def dois(codes: Iterable[str]) -> list[str]:
    """DOIs found in identifier codes, lower-cased and without a resolver or `doi:` prefix
    ('https://doi.org/10.5281/ZENODO.1' -> '10.5281/zenodo.1'), so every spelling of one DOI
    is one value."""
    found = (_DOI.search(code) for code in codes)
    return list(dict.fromkeys(m.group(1).casefold().rstrip(".,;") for m in found if m))


def keyword_values(record: Record) -> dict[str, list[str]]:
    """The record's values for the keyword fields of EXTRA_KEYWORDS; empty ones omitted.
    Identifier codes are kept as given (stripped), and as DOIs under `doi`."""
    codes = _dedupe(i.code for i in record.identifiers)
    values = {
        "id": [record.id],
        "original_id": [record.provenance.original_id],
        "identifier": codes,
        "doi": dois(codes),
        "language": _dedupe([record.language]),
        "topic_category": _dedupe(record.topic_categories),
        "licence": licence_classes(record),
    }
    return {name: found for name, found in values.items() if found}


def date_values(record: Record) -> dict[str, date]:
    """The record's dates by DATE_FIELDS name; missing ones omitted."""
    temporal = record.temporal
    values = {
        "date": record.reference_date(),
        "created": record.created,
        "modified": record.revised,
        "published": record.published,
        "metadata": record.metadata_date,
        "begin": temporal.start if temporal else None,
        "end": temporal.end if temporal else None,
    }
    assert set(values) == set(DATE_FIELDS)
    return {name: value for name, value in values.items() if value is not None}


def access_values(record: Record) -> list[str]:
    """Who may see the record: PUBLIC ('*') and/or roles, each once; [] = admins only."""
    return list(dict.fromkeys(value for value in record.access if value))


def collapse_values(record: Record) -> dict[str, list[str]]:
    """The hidden collapse facets of a record (see OUTRANKED and CLUSTER_SOURCE)."""
    role = record.collapse
    own = record.provenance.source_id
    if role is None:
        return {OUTRANKED: [], CLUSTER_SOURCE: [own]}
    viewers = set(access_values(record))
    shared = [m.id for m in role.members if PUBLIC in m.access or viewers <= set(m.access)]
    outranked = [] if role.canonical else [RANKED_BELOW, *dict.fromkeys(role.outranked_by)]
    return {OUTRANKED: outranked, CLUSTER_SOURCE: list(dict.fromkeys([own, *shared]))}


def facet_field(name: str, collapse: bool) -> str:
    """The facet a filter or count on `name` uses: CLUSTER_SOURCE for `source` when the
    search collapses duplicates, else `name`."""
    return CLUSTER_SOURCE if collapse and name == "source" else name


def theme_values(record: Record) -> list[str]:
    """The `theme` facet values: concept ids then their ancestors, each once."""
    values: dict[str, None] = {}
    for theme in record.themes:
        values[theme.id] = None
        values.update(dict.fromkeys(theme.broader))
    return list(values)


def _envelope(record: Record) -> list[float] | None:
    """One box for display: the union of the record's boxes."""
    if not record.bboxes:
        return None
    return [
        min(b.west for b in record.bboxes),
        min(b.south for b in record.bboxes),
        max(b.east for b in record.bboxes),
        max(b.north for b in record.bboxes),
    ]


def hit_payload(record: Record) -> dict[str, Any]:
    """The fields of moisson.record.Hit that come from the record, JSON-ready."""
    reference = record.reference_date()
    return {
        "id": record.id,
        "title": record.title,
        "abstract": record.abstract,
        "bbox": _envelope(record),
        "resource_type": record.resource_type,
        "date": reference.isoformat() if reference else None,
        "links": [link.model_dump(mode="json", exclude_none=True) for link in record.links],
        "sources": [
            {"id": record.provenance.source_id, "original_id": record.provenance.original_id}
        ],
        # Every copy of its cluster with who may see it; see visible_sources.
        "cluster_sources": [
            m.model_dump(mode="json") for m in (record.collapse.members if record.collapse else [])
        ],
        "themes": [
            {"id": theme.id, "uri": theme.uri, "labels": dict(theme.labels)}
            for theme in record.themes
        ],
    }


def searchable_fields(record: Record) -> dict[str, str]:
    """Text of the three searchable fields, before analysis. Keywords include ISO topic
    categories, which users search like keywords ('inlandWaters' aside, most are words)."""
    return {
        "title": record.title,
        "keywords": " ; ".join([k.label for k in record.keywords] + record.topic_categories),
        "abstract": record.abstract or "",
    }


def visible_sources(payload: dict[str, Any], query: Query) -> dict[str, Any]:
    """A stored hit payload made ready for the Hit model: in a collapsed search `sources`
    lists every copy of the record's cluster that the caller may see (canonical first);
    otherwise only the record's own source. Who may see what is decided here, per caller,
    because the payload is the same for everyone."""
    members = payload.pop("cluster_sources", None) or []
    if query.collapse and members:
        visible = query.visible()
        payload["sources"] = [
            {"id": m["id"], "original_id": m["original_id"]}
            for m in members
            if visible is None or not set(visible).isdisjoint(m["access"])
        ]
    return payload


def check_filters(query: Query) -> None:
    """Every backend refuses the same unknown filters with the same message."""
    unknown = sorted(set(query.filters) - set(KEYWORD_FIELDS))
    if unknown:
        raise BadQuery(f"unknown filter {unknown[0]!r}; filters are: {', '.join(KEYWORD_FIELDS)}")


def page_hit(
    payload: dict[str, Any],
    query: Query,
    marks: tuple[set[str], list[str]] | None,
    score: float | None,
) -> Hit:
    """The hit of one record on a page: its stored payload with the copies the caller may
    see, a snippet when there was a text query (`marks`: the stems and prefixes to
    highlight) and its score when ranked. One place, so every backend's hits read alike."""
    data = visible_sources(payload, query)
    if marks is not None:
        data["snippet"] = highlight(data.get("abstract") or data["title"], *marks)
    if score is not None:
        data["score"] = float(score)
    return Hit.model_validate(data)


def suggest_key(prefix: str) -> str:
    """The normalised prefix suggestions are looked up by ('' when there is nothing to
    complete); a trailing space is kept so 'eau ' completes the next word, not 'eaux'."""
    key = " ".join(tokenise(prefix))
    if key and normalise(prefix).endswith(" "):
        key += " "
    return key


def merged_suggestions(keywords: Iterable[str], titles: Iterable[str], size: int) -> list[str]:
    """Keywords first, then titles, each text once whatever its case: every backend's rule."""
    chosen: dict[str, str] = {}
    for text in [*keywords, *titles]:
        chosen.setdefault(text.casefold(), text)
    return list(chosen.values())[:size]
