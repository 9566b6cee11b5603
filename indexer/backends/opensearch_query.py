"""The query side of the OpenSearch backend: a `Query` -> an OpenSearch search body, and
the response's aggregations -> the facets (`facet_buckets`).

The text is parsed by the one parser of indexer/query_text.py (or given as a tree by a
protocol), so both backends accept and refuse the same queries with the same BadQuery
messages. The neutral tree (moisson/query.py) is compiled here into a bool query; no user
text ever reaches OpenSearch's query_string parser, so nothing a user types can be a syntax
error on the server.

Text leaves are analysed by indexer/analysis.analyse_leaf into French/English stems computed
by PyStemmer. The index stems with OpenSearch's Snowball filters
(mappings/opensearch-index.json), which implement the same Snowball algorithms, so a stem
computed in Python is a term of the index. A leaf becomes, on each of its fields:

- a word (French / English stems) -> `terms`;
- a phrase (French stems in order) -> `span_near`, slop 0, in order;
- a prefix phrase -> `prefix`, or `span_near` ending in `span_multi` (its prefix expanded to
  the 64 most frequent matching terms, where FTS5 takes them all: the one place the
  backends can differ, for a phrase ending in a very short prefix on a large index);
- NEAR phrases within N words, any order -> `span_near` with slop N.

Other leaves: FieldFilter -> `terms` / `prefix` on the keyword field (FIELD_PATHS), Range ->
`range` on a date field, Spatial -> `geo_shape` (intersects / within), Exists -> `exists`.
Every non-text leaf and every Not sits in a filter-only bool, so it selects without scoring,
as on the embedded index.

Ranking: each field's match is scored by OpenSearch's BM25 and boosted by the same field
weights as the embedded index (title 10, keywords 4, abstract 1); ties break on record id.
Facets: one `terms` aggregation per facet over the whole result set (filters included, as in
the embedded index), fetching facet_size + 1 buckets to tell whether values were left out,
and a second, `include`-restricted one for selected values outside the top.
"""

from __future__ import annotations

from typing import Any

from indexer.analysis import LeafTerms, analyse_leaf
from indexer.backends.base import FACETS
from indexer.backends.documents import CLUSTER_SOURCE, RANKED_BELOW, facet_field
from indexer.backends.sqlite_query import WEIGHTS
from indexer.query_text import positive_leaves, text_tree
from moisson.errors import BadQuery
from moisson.query import (
    DATE_FIELDS,
    And,
    Exists,
    FieldFilter,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Query,
    Range,
    Sort,
    Spatial,
    Term,
    date_field,
)
from moisson.record import FacetBucket, FacetInfo

__all__ = [
    "FIELD_PATHS",
    "MAX_WINDOW",
    "compile_node",
    "facet_buckets",
    "field_path",
    "search_body",
]


# Deepest result reachable by paging (index.max_result_window in mappings/opensearch-index.json).
MAX_WINDOW = 100_000
# Keyword field -> indexed field, for those not under `facets` (opensearch_bulk.document).
FIELD_PATHS: dict[str, str] = {
    "id": "id",
    "language": "language",
    "original_id": "fields.original_id",
    "identifier": "fields.identifier",
    "doi": "fields.doi",
    "topic_category": "fields.topic_category",
    "licence": "fields.licence",
}
_TEXT_LEAVES = (Term, Phrase, Prefix, Near)


def field_path(name: str, collapse: bool) -> str:
    """The indexed field of keyword or date field `name` (`cluster_source` for `source`
    when collapsing)."""
    if name in FIELD_PATHS:
        return FIELD_PATHS[name]
    if date_field(name) in DATE_FIELDS:
        name = date_field(name)
        return "date" if name == "date" else f"dates.{name}"
    if name not in FACETS:
        raise BadQuery(f"{name!r} is not a keyword field of the index")
    field = facet_field(name, collapse)
    return "cluster_source" if field == CLUSTER_SOURCE else f"facets.{field}"


def _span(stems: tuple[str, ...], field: str, *, prefix: bool = False) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = [{"span_term": {field: stem}} for stem in stems]
    if prefix:
        # Bounded expansion: an unbounded prefix inside a phrase would exceed the clause
        # limit on a large index (moisson.query.MAX_CLAUSES counts these 64 per field).
        prefix_query = {"value": stems[-1], "rewrite": "top_terms_64"}
        clauses[-1] = {"span_multi": {"match": {"prefix": {field: prefix_query}}}}
    if len(clauses) == 1:
        return clauses[0]
    return {"span_near": {"clauses": clauses, "slop": 0, "in_order": True}}


def _leaf_on_field(terms: LeafTerms, field: str) -> dict[str, Any]:
    """The query for one analysed leaf on one field (see the module docstring)."""
    if terms.shape == "near":
        spans = [_span(group, field) for group in terms.groups]
        return {"span_near": {"clauses": spans, "slop": terms.distance, "in_order": False}}
    if terms.shape == "prefix":
        (stems,) = terms.groups
        if len(stems) == 1:
            return {"prefix": {field: {"value": stems[0]}}}
        return _span(stems, field, prefix=True)
    if terms.shape == "word":
        return {"terms": {field: list(terms.groups[0])}}
    return _span(terms.groups[0], field)


def _text(terms: LeafTerms) -> dict[str, Any]:
    """A leaf on each of its fields, each boosted by the field's weight."""
    per_field = [
        {"bool": {"must": [_leaf_on_field(terms, field)], "boost": WEIGHTS[field]}}
        for field in terms.fields
    ]
    if len(per_field) == 1:
        return per_field[0]
    return {"bool": {"should": per_field, "minimum_should_match": 1}}


def _condition(node: Node, collapse: bool) -> dict[str, Any]:
    """A non-text leaf as an OpenSearch filter clause."""
    if isinstance(node, FieldFilter):
        path = field_path(node.field, collapse)
        if node.prefix:
            prefixes = [{"prefix": {path: {"value": value}}} for value in node.values]
            return {"bool": {"should": prefixes, "minimum_should_match": 1}}
        return {"terms": {path: list(node.values)}}
    if isinstance(node, Range):
        bounds = {}
        if node.gte is not None:
            bounds["gte"] = node.gte.isoformat()
        if node.lte is not None:
            bounds["lte"] = node.lte.isoformat()
        # Open on both ends still needs the date: a record without it never matches.
        path = field_path(node.field, collapse)
        return {"range": {path: bounds}} if bounds else {"exists": {"field": path}}
    if isinstance(node, Spatial):
        box = node.bbox
        envelope = {
            "type": "envelope",
            "coordinates": [[box.west, box.north], [box.east, box.south]],
        }
        return {"geo_shape": {"extent": {"shape": envelope, "relation": node.relation}}}
    if isinstance(node, Exists):
        return {"exists": {"field": field_path(node.field, collapse)}}
    raise BadQuery(f"the OpenSearch index cannot run a {type(node).__name__} condition")


def compile_node(node: Node, collapse: bool) -> dict[str, Any]:
    """The bool query of a neutral tree (see the module docstring)."""
    if isinstance(node, _TEXT_LEAVES):
        return _text(analyse_leaf(node))
    if isinstance(node, And):
        return {"bool": {"must": [compile_node(child, collapse) for child in node.children]}}
    if isinstance(node, Or):
        children = [compile_node(child, collapse) for child in node.children]
        return {"bool": {"should": children, "minimum_should_match": 1}}
    if isinstance(node, Not):
        excluded = {"bool": {"must_not": [compile_node(node.child, collapse)]}}
        return {"bool": {"filter": [excluded]}}
    return {"bool": {"filter": [_condition(node, collapse)]}}


def _filters(query: Query) -> list[dict[str, Any]]:
    """Who may see what, and the duplicate collapse: filters, so totals and aggregations
    agree with the hits."""
    filters: list[dict[str, Any]] = []
    visible = query.visible()
    if visible is not None:
        filters.append({"terms": {"access": visible}})
    if query.collapse:  # one hit per duplicate cluster (documents.OUTRANKED)
        hidden = [RANKED_BELOW] if visible is None else visible
        filters.append({"bool": {"must_not": [{"terms": {"outranked": hidden}}]}})
    return filters


def _aggregations(query: Query) -> dict[str, Any]:
    aggs: dict[str, Any] = {}
    for name in query.facet_names():
        field = field_path(name, query.collapse)
        order = [{"_count": "desc"}, {"_key": "asc"}]
        aggs[name] = {"terms": {"field": field, "size": query.facet_size + 1, "order": order}}
        selected = query.filters.get(name, [])
        if selected:
            aggs[f"{name}.selected"] = {
                "terms": {"field": field, "size": len(selected), "include": list(selected)}
            }
    return aggs


def _sort(ordering: list[Sort], ranked: bool) -> list[Any]:
    """Sort clauses for `ordering` (moisson.query: missing values last; relevance without
    text is date, newest first); ties break on record id."""
    clauses: list[Any] = []
    for sort in ordering:
        if sort.field == "relevance":
            if ranked:
                clauses.append({"_score": sort.direction})
                continue
            sort = Sort(field="date", direction="desc")
        if sort.field == "title":
            clauses.append({"title_key": sort.direction})
            continue
        order: dict[str, Any] = {"order": sort.direction, "missing": "_last"}
        if date_field(sort.field) not in DATE_FIELDS:
            order["mode"] = "min" if sort.direction == "asc" else "max"
        clauses.append({field_path(sort.field, False): order})
    return [*clauses, {"id": "asc"}]


def search_body(query: Query) -> dict[str, Any]:
    """The whole search request: text query (with thesaurus expansions), conditions,
    page, sort and facet aggregations.

    Raises BadQuery for a page beyond what OpenSearch can page to (MAX_WINDOW results)."""
    start = query.offset()
    if start + query.size > MAX_WINDOW:
        raise BadQuery(
            f"results beyond the first {MAX_WINDOW:,} cannot be paged to; "
            "narrow the search with words or filters"
        )
    tree = text_tree(query)
    must = [compile_node(node, query.collapse) for node in [tree, *query.conditions()] if node]
    ordering = query.ordering()
    ranked = any(positive_leaves(node) for node in [tree, *query.conditions()] if node)
    scored = ranked and any(sort.field == "relevance" for sort in ordering)
    return {
        "query": {"bool": {"must": must or [{"match_all": {}}], "filter": _filters(query)}},
        "from": start,
        "size": query.size,
        "sort": _sort(ordering, ranked),
        "track_total_hits": True,
        "track_scores": scored,
        "aggs": _aggregations(query),
        "_source": ["payload"],
    }


def facet_buckets(
    aggregations: dict[str, Any], query: Query
) -> tuple[dict[str, list[FacetBucket]], dict[str, FacetInfo]]:
    """Each requested facet's buckets from a search response's aggregations: the top
    `facet_size`, then any selected value the top left out, with its count."""
    facets: dict[str, list[FacetBucket]] = {}
    infos: dict[str, FacetInfo] = {}
    for name in query.facet_names():
        raw = aggregations[name]["buckets"]
        selected = query.filters.get(name, [])
        chosen = set(selected)
        shown = raw[: query.facet_size]
        buckets = [
            FacetBucket(
                value=b["key"],
                label=b["key"],
                count=b["doc_count"],
                selected=b["key"] in chosen,
            )
            for b in shown
        ]
        listed = {b.value for b in buckets}
        missing = [v for v in dict.fromkeys(selected) if v not in listed]
        if missing:
            counts = {b["key"]: b["doc_count"] for b in aggregations[f"{name}.selected"]["buckets"]}
            buckets += [
                FacetBucket(value=v, label=v, count=counts.get(v, 0), selected=True)
                for v in missing
            ]
            buckets.sort(key=lambda b: (-b.count, b.value))
        facets[name] = buckets
        infos[name] = FacetInfo(truncated=len(raw) > query.facet_size)
    return facets, infos
