"""ES 7 aggregations the datahub asks for, computed by the backends through the neutral
query: `terms` on a GN4 keyword field is the Moisson facet it maps to (`Results.facets`, so
access, collapse and the fixed mount filter apply to counts as to hits), `terms` on
`isSpatial` and every `filters` bucket are counts of the query ANDed with a condition, and
`nested` (the datahub's `contact` on `contactForResource`) answers its inner aggregations
over records. Sub-aggregations of a terms bucket are the datahub's contact `mail` and
`logoUrl`: Moisson does not keep them per organisation, so their buckets are empty.

Response shapes are ES 7's: `{"buckets": [{"key", "doc_count", ...}],
"doc_count_error_upper_bound": 0, "sum_other_doc_count": n}`, `nested` adds `doc_count`,
exactly the requested names (an unrequested name breaks the datahub's dropdowns).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

from moisson.errors import BadQuery
from moisson.query import Node
from moisson.record import FacetBucket
from publish.gn4.fields import KEYWORDS, SPATIAL, negate

__all__ = ["MAX_AGGREGATIONS", "MAX_BUCKETS", "Aggregation", "parse_aggregations", "render"]

MAX_AGGREGATIONS = 20
MAX_BUCKETS = 200  # Query.facet_size's bound
_EMPTY_SUBS = {
    "contactForResource.email",
    "contactForResource.logo.keyword",
    "contactForResource.logo",
}


@dataclass
class Aggregation:
    name: str
    kind: str  # terms, nested, filters
    target: str = ""  # Moisson facet field (terms), or "isSpatial"
    size: int = 10
    order: tuple[str, str] = ("_count", "desc")
    exclude: frozenset[str] = frozenset()
    subs: list[Aggregation] = default(default_factory=list)
    filters: dict[str, Node] = default(default_factory=dict)
    empty: bool = False  # a sub-aggregation Moisson answers with no buckets


def parse_aggregations(
    spec: dict[str, Any], translate: Callable[[Any], Node], nested: bool = False
) -> list[Aggregation]:
    """The aggregations of a body (BadQuery for any other kind or parameter)."""
    if len(spec) > MAX_AGGREGATIONS:
        raise BadQuery(f"at most {MAX_AGGREGATIONS} aggregations per request")
    found = []
    for name, body in spec.items():
        if not isinstance(body, dict):
            raise BadQuery(f"aggregation [{str(name)[:80]}] must be an object")
        subs = body.get("aggs", body.get("aggregations", {}))
        if not isinstance(subs, dict):
            raise BadQuery(f"sub-aggregations of [{str(name)[:80]}] must be an object")
        kinds = sorted(set(body) - {"aggs", "aggregations", "meta"})
        if len(kinds) != 1:
            raise BadQuery(f"aggregation [{name[:80]}] must have exactly one type")
        kind = kinds[0]
        params = body[kind]
        if kind == "terms":
            agg = _terms(name, params)
            if subs:
                agg.subs = [_sub(n, b) for n, b in subs.items()]
        elif kind == "nested":
            if nested or not isinstance(params, dict) or params.get("path") != "contactForResource":
                raise BadQuery(f"nested aggregation [{name[:80]}]: only path contactForResource")
            agg = Aggregation(name, "nested", subs=parse_aggregations(subs, translate, True))
        elif kind == "filters":
            named = params.get("filters") if isinstance(params, dict) else None
            if not isinstance(named, dict) or len(named) > MAX_AGGREGATIONS:
                raise BadQuery(f"filters aggregation [{name[:80]}] needs named filters")
            agg = Aggregation(name, "filters", filters={k: translate(v) for k, v in named.items()})
        else:
            raise BadQuery(f"unsupported aggregation type [{kind[:80]}]")
        found.append(agg)
    return found


def _sub(name: str, body: Any) -> Aggregation:
    params = body.get("terms") if isinstance(body, dict) else None
    if not isinstance(params, dict) or params.get("field") not in _EMPTY_SUBS or len(body) != 1:
        raise BadQuery(f"sub-aggregation [{str(name)[:80]}] is not supported")
    return Aggregation(name, "terms", empty=True)


def _terms(name: str, params: Any) -> Aggregation:
    if not isinstance(params, dict):
        raise BadQuery(f"terms aggregation [{name[:80]}] must be an object")
    unknown = set(params) - {"field", "size", "order", "exclude", "min_doc_count", "missing"}
    if unknown:
        raise BadQuery(f"terms aggregation [{name[:80]}]: unsupported [{sorted(unknown)[0][:40]}]")
    gn4 = params.get("field")
    if gn4 != "isSpatial" and gn4 not in KEYWORDS:
        raise BadQuery(f"cannot aggregate on field [{str(gn4)[:80]}]")
    size = params.get("size", 10)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 10_000:
        raise BadQuery(f"terms aggregation [{name[:80]}]: size must be 1 to 10000")
    if params.get("min_doc_count", 1) != 1 or "missing" in params:
        raise BadQuery(f"terms aggregation [{name[:80]}]: only min_doc_count 1, no missing")
    order = params.get("order", {"_count": "desc"})
    if (
        not isinstance(order, dict)
        or len(order) != 1
        or next(iter(order)) not in ("_key", "_count")
        or next(iter(order.values())) not in ("asc", "desc")
    ):
        raise BadQuery(f"terms aggregation [{name[:80]}]: order is {{_key|_count: asc|desc}}")
    exclude = params.get("exclude", "")
    if isinstance(exclude, str):
        if any(c in exclude for c in ".*+?[](){}|\\"):
            raise BadQuery("terms exclude: regular expressions are not supported, give values")
        values = frozenset([exclude] if exclude else [])
    elif isinstance(exclude, list) and all(isinstance(v, str) for v in exclude):
        values = frozenset(exclude)
    else:
        raise BadQuery("terms exclude must be a value or a list of values")
    target = "isSpatial" if gn4 == "isSpatial" else KEYWORDS[gn4]
    return Aggregation(
        name, "terms", target=target, size=size, order=next(iter(order.items())), exclude=values
    )


def facet_fields(aggs: list[Aggregation]) -> list[str]:
    """The Moisson facets the main query must count for `aggs`."""
    found: list[str] = []
    for agg in aggs:
        if agg.kind == "terms" and agg.target != "isSpatial" and not agg.empty:
            found.append(agg.target)
        found += facet_fields(agg.subs) if agg.kind == "nested" else []
    return list(dict.fromkeys(found))


def extra_conditions(aggs: list[Aggregation]) -> list[Node]:
    """Every condition whose count an aggregation needs (isSpatial yes/no, filters)."""
    found: list[Node] = []
    for agg in aggs:
        if agg.kind == "terms" and agg.target == "isSpatial":
            found += [SPATIAL, negate(SPATIAL)]
        elif agg.kind == "filters":
            found += list(agg.filters.values())
        elif agg.kind == "nested":
            found += extra_conditions(agg.subs)
    return found


def _terms_body(agg: Aggregation, buckets: list[tuple[str, int]]) -> dict[str, Any]:
    kept = [(k, n) for k, n in buckets if k not in agg.exclude and n > 0]
    key, direction = agg.order
    if key == "_key":
        kept.sort(key=lambda b: b[0], reverse=direction == "desc")
    else:
        kept.sort(key=lambda b: (-b[1] if direction == "desc" else b[1], b[0]))
    shown = kept[: agg.size]
    rows: list[dict[str, Any]] = []
    for k, n in shown:
        row: dict[str, Any] = {"key": k, "doc_count": n}
        for sub in agg.subs:
            row[sub.name] = {
                "doc_count_error_upper_bound": 0,
                "sum_other_doc_count": 0,
                "buckets": [],
            }
        rows.append(row)
    return {
        "doc_count_error_upper_bound": 0,
        "sum_other_doc_count": sum(n for _, n in kept[agg.size :]),
        "buckets": rows,
    }


def render(
    aggs: list[Aggregation],
    facets: dict[str, list[FacetBucket]],
    counts: dict[Node, int],
    total: int,
) -> dict[str, Any]:
    """The `aggregations` object: facets by Moisson field (bucket labels are the keys of the
    theme facet: labels in the request's language), counts by condition."""
    out: dict[str, Any] = {}
    for agg in aggs:
        if agg.kind == "nested":
            out[agg.name] = {"doc_count": total, **render(agg.subs, facets, counts, total)}
        elif agg.kind == "filters":
            out[agg.name] = {
                "buckets": {k: {"doc_count": counts[v]} for k, v in agg.filters.items()}
            }
        elif agg.target == "isSpatial":
            pairs = [("yes", counts[SPATIAL]), ("no", counts[negate(SPATIAL)])]
            out[agg.name] = _terms_body(agg, pairs)
        else:
            buckets = facets.get(agg.target, [])
            if agg.target == "theme":
                pairs = [(b.label or b.value, b.count) for b in buckets]
            else:
                pairs = [(b.value, b.count) for b in buckets]
            out[agg.name] = _terms_body(agg, pairs)
    return out
