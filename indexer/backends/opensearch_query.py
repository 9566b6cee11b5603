"""The query side of the OpenSearch backend: a `Query` -> an OpenSearch search body.

The user's text is parsed exactly as the embedded index parses it (`plain_query` and
`advanced_query` of indexer/backends/sqlite_query.py), so both backends accept and refuse the
same queries with the same BadQuery messages. The resulting tree (Leaf, And, Or, Not) is then
translated into a bool query built here; no user text ever reaches OpenSearch's query_string
parser, so nothing a user types can be a syntax error on the server.

Leaves carry French stems computed by PyStemmer. The index stems with OpenSearch's Snowball
filters (mappings/opensearch-index.json), which implement the same Snowball algorithms, so a
stem computed in Python is a term of the index. A leaf's FTS5 expression (`Leaf.match`) comes
in four shapes, all produced by sqlite_query and parsed back here:

- `"a"` or `"a" OR "b"`: a word as its French / English stems -> `terms` on each field;
- `"a b c"`: a phrase (French stems in order) -> `span_near`, slop 0, in order;
- `"a b" *`: a phrase whose last stem is a prefix -> `prefix` or `span_near` + `span_multi`;
- `NEAR("a b" "c", 5)`: phrases within N words of each other, any order -> `span_near`.

Ranking: each field's match is scored by OpenSearch's BM25 and boosted by the same field
weights as the embedded index (title 10, keywords 4, abstract 1); ties break on record id.
Facets: one `terms` aggregation per facet over the whole result set (filters included, as in
the embedded index), fetching facet_size + 1 buckets to tell whether values were left out,
and a second, `include`-restricted one for selected values outside the top.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from indexer.backends.base import FACETS
from indexer.backends.documents import CLUSTER_SOURCE, RANKED_BELOW, facet_field
from indexer.backends.sqlite_query import (
    WEIGHTS,
    And,
    Leaf,
    Node,
    Not,
    Or,
    plain_query,
    without_phrase,
)
from moisson.errors import BadQuery
from moisson.record import Query, ThemeExpansion

__all__ = ["MAX_WINDOW", "search_body", "text_query"]

logger = logging.getLogger(__name__)

# Deepest result reachable by paging (index.max_result_window in mappings/opensearch-index.json).
MAX_WINDOW = 100_000

_QUOTED = re.compile(r'"((?:[^"]|"")*)"')
_NEAR_DISTANCE = re.compile(r",\s*(\d+)\)$")
_FTS5_NEAR_DEFAULT = 10


def _phrases(expression: str) -> list[list[str]]:
    return [found.replace('""', '"').split() for found in _QUOTED.findall(expression)]


def _span(stems: list[str], field: str, *, prefix: bool = False) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = [{"span_term": {field: stem}} for stem in stems]
    if prefix:
        clauses[-1] = {"span_multi": {"match": {"prefix": {field: {"value": stems[-1]}}}}}
    if len(clauses) == 1:
        return clauses[0]
    return {"span_near": {"clauses": clauses, "slop": 0, "in_order": True}}


def _leaf_on_field(leaf: Leaf, field: str) -> dict[str, Any]:
    """The query for one leaf on one field (see the module docstring for the shapes)."""
    expression = leaf.match
    if expression.startswith("NEAR("):
        found = _NEAR_DISTANCE.search(expression)
        distance = int(found.group(1)) if found else _FTS5_NEAR_DEFAULT
        spans = [_span(stems, field) for stems in _phrases(expression)]
        return {"span_near": {"clauses": spans, "slop": distance, "in_order": False}}
    if expression.endswith(" *"):
        (stems,) = _phrases(expression)
        if len(stems) == 1:
            return {"prefix": {field: {"value": stems[0]}}}
        return _span(stems, field, prefix=True)
    phrases = _phrases(expression)
    if " OR " in expression or len(phrases[0]) == 1:
        return {"terms": {field: [stems[0] for stems in phrases]}}
    return _span(phrases[0], field)


def _leaf(leaf: Leaf) -> dict[str, Any]:
    """A leaf on each of its fields, each boosted by the field's weight."""
    per_field = []
    for field in leaf.fields:
        clause = _leaf_on_field(leaf, field)
        per_field.append({"bool": {"must": [clause], "boost": WEIGHTS[field]}})
    if len(per_field) == 1:
        return per_field[0]
    return {"bool": {"should": per_field, "minimum_should_match": 1}}


def text_query(node: Node) -> dict[str, Any]:
    """The bool query for a parsed query tree."""
    if isinstance(node, Leaf):
        return _leaf(node)
    if isinstance(node, Not):
        return {"bool": {"must": [text_query(node.keep)], "must_not": [text_query(node.drop)]}}
    children = [text_query(child) for child in node.children]
    if isinstance(node, And):
        return {"bool": {"must": children}}
    assert isinstance(node, Or)
    return {"bool": {"should": children, "minimum_should_match": 1}}


def _facet_field(name: str, query: Query) -> str:
    """The indexed field of facet `name` (`cluster_source` for `source` when collapsing)."""
    field = facet_field(name, query.collapse)
    return "cluster_source" if field == CLUSTER_SOURCE else f"facets.{field}"


def _filters(query: Query) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = [
        {"terms": {_facet_field(name, query): values}}
        for name, values in query.filters.items()
        if values
    ]
    visible = query.visible()
    if visible is not None:  # who may see what: a filter, so totals and aggregations agree
        filters.append({"terms": {"access": visible}})
    if query.collapse:  # one hit per duplicate cluster (documents.OUTRANKED)
        hidden = [RANKED_BELOW] if visible is None else visible
        filters.append({"bool": {"must_not": [{"terms": {"outranked": hidden}}]}})
    if query.bbox is not None:
        box = query.bbox
        envelope = {
            "type": "envelope",
            "coordinates": [[box.west, box.north], [box.east, box.south]],
        }
        filters.append({"geo_shape": {"extent": {"shape": envelope, "relation": "intersects"}}})
    if query.date_from is not None or query.date_to is not None:
        bounds = {}
        if query.date_from is not None:
            bounds["gte"] = query.date_from.isoformat()
        if query.date_to is not None:
            bounds["lte"] = query.date_to.isoformat()
        filters.append({"range": {"date": bounds}})
    return filters


def _aggregations(query: Query) -> dict[str, Any]:
    aggs: dict[str, Any] = {}
    for name in FACETS:
        field = _facet_field(name, query)
        order = [{"_count": "desc"}, {"_key": "asc"}]
        aggs[name] = {"terms": {"field": field, "size": query.facet_size + 1, "order": order}}
        selected = query.filters.get(name, [])
        if selected:
            aggs[f"{name}.selected"] = {
                "terms": {"field": field, "size": len(selected), "include": list(selected)}
            }
    return aggs


def _sort(query: Query, ranked: bool) -> list[Any]:
    if query.sort == "title":
        return [{"title_key": "asc"}, {"id": "asc"}]
    if query.sort == "relevance" and ranked:
        return [{"_score": "desc"}, {"id": "asc"}]
    return [{"date": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]


def _expanded(node: Node, q: str, expansions: Sequence[ThemeExpansion]) -> dict[str, Any]:
    """The text query OR, per thesaurus expansion, records filed under one of its concepts
    that match the rest of the query (moisson.record.ThemeExpansion; the embedded index does
    the same with masks). The theme part is a filter: it finds, it does not score."""
    alternatives = [text_query(node)]
    for expansion in expansions:
        rest = without_phrase(q, expansion.phrase)
        if rest is None:
            continue
        clause: dict[str, Any] = {"filter": [{"terms": {"facets.theme": expansion.concepts}}]}
        rest_node = plain_query(rest)
        if rest_node is not None:
            clause["must"] = [text_query(rest_node)]
        alternatives.append({"bool": clause})
    if len(alternatives) == 1:
        return alternatives[0]
    return {"bool": {"should": alternatives, "minimum_should_match": 1}}


def search_body(
    query: Query, node: Node | None, expansions: Sequence[ThemeExpansion] = ()
) -> dict[str, Any]:
    """The whole search request: text query (with thesaurus `expansions`), filters, page,
    sort and facet aggregations.

    Raises BadQuery for a page beyond what OpenSearch can page to (MAX_WINDOW results)."""
    start = query.offset()
    if start + query.size > MAX_WINDOW:
        raise BadQuery(
            f"results beyond the first {MAX_WINDOW:,} cannot be paged to; "
            "narrow the search with words or filters"
        )
    must = [_expanded(node, query.q, expansions)] if node is not None else [{"match_all": {}}]
    return {
        "query": {"bool": {"must": must, "filter": _filters(query)}},
        "from": start,
        "size": query.size,
        "sort": _sort(query, node is not None),
        "track_total_hits": True,
        "track_scores": query.sort == "relevance" and node is not None,
        "aggs": _aggregations(query),
        "_source": ["payload"],
    }
