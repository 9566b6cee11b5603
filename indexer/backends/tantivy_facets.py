"""Facet counts of the tantivy backend: tantivy's `terms` aggregations, exact.

All facets of a search are counted in one `Searcher.aggregate` call over the search's own
query (access filter, collapse and conditions included), in Rust over the columnar fast
fields: no Python loop over the hits. Two things make a terms aggregation approximate in
general, and both are checked here so the buckets are always the exact ones the contract
asks for (top `facet_size` by count then value, selected values always listed):

- per-segment top lists: tantivy keeps `segment_size` terms per segment before merging;
  when the answer reports `doc_count_error_upper_bound` > 0 the facet is asked again with
  every term of each segment kept;
- ties at the cut: buckets with the count of the last one shown may have been left out in
  favour of a larger value; when the extra bucket asked for ties with the last one, the
  facet is asked again with a larger size until the tie is inside the answer.

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


def _spec(field: str, size: int, segment_size: int | None = None) -> dict[str, Any]:
    terms: dict[str, Any] = {"field": field, "size": size}
    if segment_size is not None:
        terms["segment_size"] = segment_size
    return {"terms": terms}


def _exact(answer: dict[str, Any], size: int) -> bool:
    """Whether these buckets are the exact top `size` (see the module docstring)."""
    if answer.get("doc_count_error_upper_bound", 0):
        return False
    buckets = answer["buckets"]
    if len(buckets) <= size:
        return True
    # One more bucket than shown was asked for: if it ties with the last shown, other
    # values of that count may exist beyond it.
    return bool(buckets[size]["doc_count"] != buckets[size - 1]["doc_count"])


def _refine(
    searcher: tantivy.Searcher, top: tantivy.Query, field: str, size: int
) -> list[dict[str, Any]]:
    """Ask one facet again until its buckets are exact; returns them."""
    asked = size * 4
    while True:
        answer = searcher.aggregate(top, {"f": _spec(field, asked + 1, _ALL_TERMS)})["f"]
        buckets: list[dict[str, Any]] = answer["buckets"]
        if len(buckets) <= asked or buckets[asked]["doc_count"] < buckets[size - 1]["doc_count"]:
            return buckets
        asked *= 4


def count_facets(
    searcher: tantivy.Searcher, schema: tantivy.Schema, top: tantivy.Query, query: Query
) -> tuple[dict[str, list[FacetBucket]], dict[str, FacetInfo]]:
    """Buckets and FacetInfo of every facet the query counts, over the records `top` matches."""
    names = query.facet_names()
    facets: dict[str, list[FacetBucket]] = {}
    infos: dict[str, FacetInfo] = {}
    if not names:
        return facets, infos
    size = query.facet_size
    fields = {name: field_of(name, query.collapse) for name in names}
    spec = {name: _spec(field, size + 1) for name, field in fields.items()}
    answers = searcher.aggregate(top, spec)
    for name in names:
        answer = answers.get(name) or {"buckets": []}
        buckets = answer["buckets"]
        if not _exact(answer, size):
            buckets = _refine(searcher, top, fields[name], size)
        ordered = sorted((-b["doc_count"], str(b["key"])) for b in buckets)
        facets[name] = _buckets(
            searcher, schema, top, fields[name], ordered, size, query.filters.get(name, [])
        )
        infos[name] = FacetInfo(truncated=len(ordered) > size)
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
