"""Ordering and paging of the tantivy backend (moisson.query: `Query.ordering()`).

- relevance with text: tantivy's top-k by BM25 score, `offset` + `limit`;
- relevance without text is date, newest first (as on the other backends);
- one date key: tantivy's top-k by the date's fast field over the records that have the
  date, then the records without it (missing values last in either direction);
- title alone: the `title_key` fast field;
- anything else (keyword fields, several keys): every matching record's stored sort keys
  (`sortkeys`, tantivy_schema.py) sorted in Python, multi-valued fields by their smallest
  value ascending and largest descending, missing values last. Correct, but its cost grows
  with the number of hits, unlike the cases above.
"""

from __future__ import annotations

import json
from typing import Any

import tantivy

from indexer.backends.tantivy_schema import matched, stored
from moisson.query import DATE_FIELDS, Query, Sort, date_field

__all__ = ["Page", "sorted_page"]

Page = list[tuple[Any, tantivy.DocAddress]]
_MUST, _NOT = tantivy.Occur.Must, tantivy.Occur.MustNot


def _order(direction: str) -> tantivy.Order:
    return tantivy.Order.Asc if direction == "asc" else tantivy.Order.Desc


def _top(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    start: int,
    size: int,
    field: str | None = None,
    direction: str = "desc",
) -> Page:
    if size <= 0:
        return []
    if field is None:
        found = searcher.search(query, limit=size, offset=start, count=False)
    else:
        found = searcher.search(
            query,
            limit=size,
            offset=start,
            count=False,
            order_by_field=field,
            order=_order(direction),
        )
    return list(found.hits)


def _by_date(
    searcher: tantivy.Searcher,
    top: tantivy.Query,
    field: str,
    direction: str,
    start: int,
    size: int,
) -> Page:
    """Records with the date in date order, then those without it."""
    has = tantivy.Query.exists_query(field)
    dated = tantivy.Query.boolean_query([(_MUST, top), (_MUST, has)])
    first = matched(searcher, dated)
    page = _top(searcher, dated, start, min(size, max(0, first - start)), field, direction)
    if len(page) < size:
        undated = tantivy.Query.boolean_query(
            [(_MUST, top), (_MUST, tantivy.Query.all_query()), (_NOT, has)]
        )
        page += _top(searcher, undated, max(0, start - first), size - len(page))
    return page


def _key(keys: dict[str, Any], sort: Sort, score: Any) -> Any:
    if sort.field == "relevance":
        return score
    name = date_field(sort.field) if date_field(sort.field) in DATE_FIELDS else sort.field
    values = keys.get(name)
    if values is None or values == []:
        return None
    if isinstance(values, list):
        return min(values) if sort.direction == "asc" else max(values)
    return values


def _in_python(
    searcher: tantivy.Searcher,
    top: tantivy.Query,
    ordering: list[Sort],
    total: int,
    start: int,
    size: int,
) -> Page:
    found = searcher.search(top, limit=max(total, 1), count=False).hits
    rows = [
        (json.loads(stored(searcher, address, "sortkeys")), score, address)
        for score, address in found
    ]
    for sort in reversed(ordering):  # stable sorts, least significant key first
        keyed = [(_key(row[0], sort, row[1]), row) for row in rows]
        present = [item for item in keyed if item[0] is not None]
        missing = [row for value, row in keyed if value is None]
        present.sort(key=lambda item: item[0], reverse=sort.direction == "desc")
        rows = [row for _, row in present] + missing
    return [(score, address) for _, score, address in rows[start : start + size]]


def sorted_page(
    searcher: tantivy.Searcher, top: tantivy.Query, query: Query, ranked: bool
) -> tuple[int, Page, bool]:
    """(total, the page as (score or sort value, address) pairs, whether those are scores)."""
    start, size = query.offset(), query.size
    ordering = [
        Sort(field="date", direction="desc") if sort.field == "relevance" and not ranked else sort
        for sort in query.ordering()
    ]
    scored = ranked and any(sort.field == "relevance" for sort in ordering)
    if len(ordering) == 1 and ordering[0].field == "relevance" and size > 0:
        # The common case in one pass: the page and the total together.
        found = searcher.search(top, limit=size, offset=start, count=True)
        return int(getattr(found, "count", 0) or 0), list(found.hits), True
    total = matched(searcher, top)
    if size == 0 or start >= total:
        return total, [], scored
    if len(ordering) == 1:
        sort = ordering[0]
        if sort.field == "title":
            return total, _top(searcher, top, start, size, "title_key", sort.direction), False
        if date_field(sort.field) in DATE_FIELDS:
            field = f"d_{date_field(sort.field)}"
            return total, _by_date(searcher, top, field, sort.direction, start, size), False
    return total, _in_python(searcher, top, ordering, total, start, size), scored
