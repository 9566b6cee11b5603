"""The query side of the tantivy backend: a neutral query tree -> a tantivy Query.

The text is parsed by the one parser of indexer/query_text.py (or given as a tree by a
protocol), so the three backends accept and refuse the same queries. Text leaves are
analysed by indexer/analysis.analyse_leaf into the French/English stems the index holds
(indexer/backends/tantivy_schema.py indexes the analysed text), and become, on each field:

- a word (French / English stems) -> a `term_query` per stem, either may match;
- a phrase (French stems in order) -> `phrase_query`, slop 0;
- a prefix: one word -> `regex_query` 'stem.*' (every matching term, as FTS5); several ->
  `phrase_prefix_query` (tantivy expands the last word to its first 50 terms, OpenSearch to
  its 64 most frequent: on a large index a phrase ending in a very short prefix may differ);
- NEAR is refused (BadQuery): tantivy has no unordered proximity of phrases.

Each field's match is scored by tantivy's BM25 and boosted by the field weights of the
other backends (title 10, keywords 4, abstract 1). Non-text leaves select without scoring
(constant score 0): FieldFilter -> `term_set_query` (or one regex per prefix value), Range ->
`range_query` on a date field, Spatial -> boxes (see tantivy_schema: slots for intersects,
the envelope for within), Exists -> `exists_query` on the fast field. Not -> everything
minus the child.
"""

from __future__ import annotations

from collections.abc import Sequence

import tantivy

from indexer.analysis import LeafTerms, analyse_leaf
from indexer.backends.documents import ACCESS, OUTRANKED, RANKED_BELOW, facet_field
from indexer.backends.sqlite_query import WEIGHTS
from indexer.backends.tantivy_schema import BOX_SLOTS, day, keyword_field
from moisson.errors import BadQuery
from moisson.query import (
    DATE_FIELDS,
    KEYWORD_FIELDS,
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
    Spatial,
    Term,
    date_field,
)

__all__ = ["compile_node", "field_of", "visibility"]

_TEXT_LEAVES = (Term, Phrase, Prefix, Near)
_MUST, _SHOULD, _NOT = tantivy.Occur.Must, tantivy.Occur.Should, tantivy.Occur.MustNot
_REGEX_SPECIAL = set('\\.+*?()|[]{}^$#&-~"')


def _regex_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in _REGEX_SPECIAL else c for c in text)


def _any(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(_SHOULD, q) for q in queries])


def _all(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(_MUST, q) for q in queries])


def _without(query: tantivy.Query) -> tantivy.Query:
    """Every record the query does not match (tantivy's MustNot needs a positive clause)."""
    return tantivy.Query.boolean_query(
        [(_MUST, tantivy.Query.const_score_query(tantivy.Query.all_query(), 0.0)), (_NOT, query)]
    )


def _selecting(query: tantivy.Query) -> tantivy.Query:
    """A condition that selects without adding to the score."""
    return tantivy.Query.const_score_query(query, 0.0)


def _leaf_on_field(schema: tantivy.Schema, terms: LeafTerms, field: str) -> tantivy.Query:
    if terms.shape == "near":
        raise BadQuery("the tantivy index cannot run NEAR; use a phrase or AND")
    (stems,) = terms.groups
    if terms.shape == "word":
        return _any([tantivy.Query.term_query(schema, field, stem) for stem in stems])
    if terms.shape == "prefix":
        if len(stems) == 1:
            return tantivy.Query.regex_query(schema, field, _regex_escape(stems[0]) + ".*")
        return tantivy.Query.phrase_prefix_query(schema, field, list(stems))
    return tantivy.Query.phrase_query(schema, field, list(stems))


def _text(schema: tantivy.Schema, terms: LeafTerms) -> tantivy.Query:
    """A leaf on each of its fields, each boosted by the field's weight."""
    return _any(
        [
            tantivy.Query.boost_query(_leaf_on_field(schema, terms, field), WEIGHTS[field])
            for field in terms.fields
        ]
    )


def field_of(name: str, collapse: bool) -> str:
    """The tantivy field of keyword field `name` (the cluster's sources for `source` when
    collapsing), or of date field `name` (`revised` is `modified`)."""
    if date_field(name) in DATE_FIELDS:
        return f"d_{date_field(name)}"
    if name not in KEYWORD_FIELDS:
        raise BadQuery(f"{name!r} is not a keyword field of the index")
    return "id" if name == "id" else keyword_field(facet_field(name, collapse))


def _box_range(
    schema: tantivy.Schema, field: str, low: float | None, high: float | None
) -> tantivy.Query:
    return tantivy.Query.range_query(schema, field, tantivy.FieldType.Float, low, high)


def _spatial(schema: tantivy.Schema, node: Spatial) -> tantivy.Query:
    box = node.bbox
    if node.relation == "within":
        return _all(
            [
                _box_range(schema, "env_west", box.west, None),
                _box_range(schema, "env_south", box.south, None),
                _box_range(schema, "env_east", None, box.east),
                _box_range(schema, "env_north", None, box.north),
            ]
        )
    slots = [
        _all(
            [
                _box_range(schema, f"b{slot}_west", None, box.east),
                _box_range(schema, f"b{slot}_east", box.west, None),
                _box_range(schema, f"b{slot}_south", None, box.north),
                _box_range(schema, f"b{slot}_north", box.south, None),
            ]
        )
        for slot in range(BOX_SLOTS)
    ]
    return _any(slots)


def _condition(schema: tantivy.Schema, node: Node, collapse: bool) -> tantivy.Query:
    """A non-text leaf as a tantivy query (it selects; scores come from text leaves)."""
    if isinstance(node, FieldFilter):
        field = field_of(node.field, collapse)
        if node.prefix:
            return _any(
                [
                    tantivy.Query.regex_query(schema, field, _regex_escape(value) + ".*")
                    for value in node.values
                ]
            )
        return tantivy.Query.term_set_query(schema, field, list(node.values))
    if isinstance(node, Range):
        field = field_of(node.field, collapse)
        if node.gte is None and node.lte is None:
            return tantivy.Query.exists_query(field)
        low = day(node.gte) if node.gte is not None else None
        high = day(node.lte) if node.lte is not None else None
        return tantivy.Query.range_query(schema, field, tantivy.FieldType.Date, low, high)
    if isinstance(node, Spatial):
        return _spatial(schema, node)
    if isinstance(node, Exists):
        field = field_of(node.field, collapse)
        return tantivy.Query.all_query() if field == "id" else tantivy.Query.exists_query(field)
    raise BadQuery(f"the tantivy index cannot run a {type(node).__name__} condition")


def compile_node(schema: tantivy.Schema, node: Node, collapse: bool) -> tantivy.Query:
    """The tantivy query of a neutral tree (see the module docstring)."""
    if isinstance(node, _TEXT_LEAVES):
        return _text(schema, analyse_leaf(node))
    if isinstance(node, And):
        return _all([compile_node(schema, child, collapse) for child in node.children])
    if isinstance(node, Or):
        return _any([compile_node(schema, child, collapse) for child in node.children])
    if isinstance(node, Not):
        return _without(compile_node(schema, node.child, collapse))
    return _selecting(_condition(schema, node, collapse))


def visibility(schema: tantivy.Schema, query: Query) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    """Who may see what and the duplicate collapse, as clauses of the top query, so totals,
    facet counts and pages cover exactly those records."""
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    visible = query.visible()
    if visible is not None:
        allowed = tantivy.Query.term_set_query(schema, keyword_field(ACCESS), visible)
        clauses.append((_MUST, _selecting(allowed)))
    if query.collapse:  # one hit per duplicate cluster (documents.OUTRANKED)
        hidden = [RANKED_BELOW] if visible is None else visible
        outranked = tantivy.Query.term_set_query(schema, keyword_field(OUTRANKED), hidden)
        clauses.append((_NOT, outranked))
    return clauses
