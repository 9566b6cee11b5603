"""Facet counts of the tantivy backend: tantivy's `terms` aggregations, exact.

All facets of a search are counted in one `Searcher.aggregate` call over the search's own
query (access filter, collapse and conditions included), in Rust over the columnar fast
fields: no Python loop over the hits. Two things make a terms aggregation approximate in
general, and both are checked here so the buckets are always the exact ones the contract
asks for (top `facet_size` by count then value, selected values always listed):

- per-segment top lists: tantivy keeps `segment_size` terms per segment before merging;
  it is set to keep every term, so counts are exact (`doc_count_error_upper_bound` 0);
- ties at the cut: tantivy's order among equal counts is not by value (an unstable sort,
  or a hash map over segments), so buckets with the count of the last one shown may have
  been left out in favour of a larger value. When the extra bucket asked for ties with the
  last one, those facets are asked again in one more call with `min_doc_count` = that
  count: every value at least that frequent, then sorted by count and value here.

Selected values outside the top are counted with one `count` search each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tantivy

from indexer.backends.tantivy_query import field_of
from indexer.backends.tantivy_schema import matched
from moisson.record import FacetBucket, FacetInfo, Query

__all__ = ["count_facets"]

_ALL_TERMS = 1 << 30  # segment_size asking for every term of a segment
_TIED_MAX = 65_000  # buckets of one tied-cut request (tantivy's bucket limit is 65,000)


def _spec(field: str, size: int, segment_size: int | None = None) -> dict[str, Any]:
    terms: dict[str, Any] = {"field": field, "size": size}
    if segment_size is not None:
        terms["segment_size"] = segment_size
    return {"terms": terms}


def _refine(
    searcher: tantivy.Searcher, top: tantivy.Query, field: str, size: int
) -> list[dict[str, Any]]:
    """Ask one facet again, with ever more buckets, until the last one shown is followed
    by a smaller count (the slow path, for a tie spanning more than _TIED_MAX values)."""
    asked = max(size * 4, _TIED_MAX)
    while True:
        answer = searcher.aggregate(top, {"f": _spec(field, asked + 1, _ALL_TERMS)})["f"]
        buckets: list[dict[str, Any]] = answer["buckets"]
        if len(buckets) <= asked or buckets[asked]["doc_count"] < buckets[size - 1]["doc_count"]:
            return buckets
        asked *= 4


def _tied(found: list[dict[str, Any]], size: int) -> bool:
    """Whether the bucket after the last shown has the same count: then other values of
    that count may have been left out, whatever their order."""
    return len(found) > size and found[size]["doc_count"] == found[size - 1]["doc_count"]


def count_facets(
    searcher: tantivy.Searcher, schema: tantivy.Schema, top: tantivy.Query, query: Query
) -> tuple[dict[str, list[FacetBucket]], dict[str, FacetInfo]]:
    """Buckets and FacetInfo of every facet the query counts, over the records `top` matches
    (see the module docstring): one aggregation call for all facets, and one more for the
    facets whose cut falls inside a tie, asking for every value at least that frequent."""
    names = query.facet_names()
    facets: dict[str, list[FacetBucket]] = {}
    infos: dict[str, FacetInfo] = {}
    if not names:
        return facets, infos
    size = query.facet_size
    fields = {name: field_of(name, query.collapse) for name in names}
    answers = searcher.aggregate(
        top, {name: _spec(field, size + 1, _ALL_TERMS) for name, field in fields.items()}
    )
    found = {name: (answers.get(name) or {"buckets": []})["buckets"] for name in names}
    truncated = {name: len(found[name]) > size for name in names}
    tied = {name: found[name][size - 1]["doc_count"] for name in names if _tied(found[name], size)}
    if tied:
        spec = {
            name: {
                "terms": {
                    **_spec(fields[name], _TIED_MAX, _ALL_TERMS)["terms"],
                    "min_doc_count": count,
                }
            }
            for name, count in tied.items()
        }
        again = searcher.aggregate(top, spec)
        for name in tied:
            found[name] = again[name]["buckets"]
            if len(found[name]) >= _TIED_MAX:
                found[name] = _refine(searcher, top, fields[name], size)
    for name in names:
        ordered = sorted((-b["doc_count"], str(b["key"])) for b in found[name])
        facets[name] = _buckets(
            searcher, schema, top, fields[name], ordered, size, query.filters.get(name, [])
        )
        infos[name] = FacetInfo(truncated=truncated[name])
    return facets, infos


def _buckets(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    top: tantivy.Query,
    field: str,
    ordered: list[tuple[int, str]],
    size: int,
    selected: Sequence[str],
) -> list[FacetBucket]:
    chosen = set(selected)
    shown = [
        FacetBucket(value=value, label=value, count=-minus, selected=value in chosen)
        for minus, value in ordered[:size]
    ]
    listed = {bucket.value for bucket in shown}
    missing = [value for value in dict.fromkeys(selected) if value not in listed]
    for value in missing:
        holding = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, top),
                (tantivy.Occur.Must, tantivy.Query.term_query(schema, field, value)),
            ]
        )
        count = matched(searcher, holding)
        shown.append(FacetBucket(value=value, label=value, count=count, selected=True))
    if missing:
        shown.sort(key=lambda b: (-b.count, b.value))
    return shown
