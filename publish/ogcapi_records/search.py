"""Items: an `ItemsRequest` run through the shared search state, answered as a Records
FeatureCollection.

The search is the one /api/search runs (`indexer.search_service.SearchService`: the same
analysis, thesaurus expansion, access filtering inside the backend, duplicate collapse),
so a record is found, counted and hidden the same way in every protocol. A collapsed
cluster is one record (the canonical copy the caller may see) whose other copies are
`alternate` links and its `sources` property.

The request becomes one neutral query (moisson/query.py): `offset` is its `start`, `sortby`
its `sort_by`, `ids` and `externalIds` `FieldFilter`s on `id` and `identifier` ANDed with the
rest, and facets are counted only when the client asks for them (`facets=true`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from indexer.search_service import SearchService
from indexer.store import Store
from indexer.themes import Themer
from moisson.errors import BadQuery
from moisson.query import And, FieldFilter, Node, Sort
from moisson.record import Hit, Query, Record, Results, record_id
from publish.geojson import record_feature
from publish.ogcapi_records.documents import Collection
from publish.ogcapi_records.params import ItemsRequest
from publish.scheme import ThemeScheme
from search_api.params import check_capabilities

__all__ = ["ItemsPage", "facets_property", "in_collection", "run_items"]


@dataclass
class ItemsPage:
    matched: int
    features: list[dict[str, Any]]
    facets: dict[str, Any] | None = None


def _filters(request: ItemsRequest, collection: Collection, themer: Themer) -> dict[str, list[str]]:
    """The request's filters inside the collection's own (source or theme). A filter on the
    same facet must stay inside the collection (a narrower theme in a theme collection),
    since values of one facet are ORed by the backends."""
    filters = {k: list(v) for k, v in request.filters.items()}
    if collection.facet is None or collection.value is None:
        return filters
    inside = {collection.value}
    if collection.facet == "theme":
        inside |= set(themer.thesaurus.descendants(collection.value))
    asked = filters.get(collection.facet)
    if asked and not set(asked) <= inside:
        raise BadQuery(
            f"{collection.facet} filter {', '.join(sorted(set(asked) - inside))!r} is outside "
            f"collection {collection.id}"
        )
    filters[collection.facet] = asked or [collection.value]
    return filters


def _query(
    request: ItemsRequest, collection: Collection, themer: Themer, roles: list[str] | None
) -> Query:
    conditions: list[Node] = [request.where] if request.where is not None else []
    if request.ids:
        conditions.append(FieldFilter(field="id", values=tuple(request.ids)))
    if request.external_ids:
        conditions.append(FieldFilter(field="identifier", values=tuple(request.external_ids)))
    try:
        return _build(request, collection, themer, roles, conditions)
    except ValidationError as exc:  # a constraint of the tree the parsers did not foresee
        raise BadQuery(f"filter: {exc.errors()[0]['msg']}") from None


def _build(
    request: ItemsRequest,
    collection: Collection,
    themer: Themer,
    roles: list[str] | None,
    conditions: list[Node],
) -> Query:
    return Query(
        q=request.q,
        where=And(children=tuple(conditions)) if conditions else None,
        filters=_filters(request, collection, themer),
        bbox=request.bbox,
        date_from=request.date_from,
        date_to=request.date_to,
        start=request.offset,
        size=request.limit,
        sort_by=[Sort(field=field, direction=direction) for field, direction in request.sort_by],  # type: ignore[arg-type]  # checked by parse_items_args
        lang=request.lang,
        facets=None if request.facets else [],  # counting facets nobody reads costs time
        roles=roles,
    )


def facets_property(results: Results) -> dict[str, Any]:
    """The Records facets extension: one `term` facet per Moisson facet."""
    return {
        name: {
            "type": "term",
            "property": name,
            "buckets": [{"value": b.value, "count": b.count} for b in buckets],
            "more": name in results.facet_info and results.facet_info[name].truncated,
        }
        for name, buckets in results.facets.items()
    }


def _search(query: Query, service: SearchService) -> tuple[int, list[Hit], Results]:
    check_capabilities(query, service.backend.capabilities)
    searched = service.run(query)
    return searched.results.total, list(searched.results.hits), searched.results


def run_items(
    request: ItemsRequest,
    collection: Collection,
    *,
    store: Store,
    service: SearchService,
    scheme: ThemeScheme,
    roles: list[str] | None,
    item_url: Callable[[str], str],
) -> ItemsPage:
    """One page of records as features (see the module docstring)."""
    query = _query(request, collection, service.themer, roles)
    total, hits, results = _search(query, service)
    by_id = {r.id: r for r in store.active([h.id for h in hits])}
    features = []
    for hit in hits:
        found = by_id.get(hit.id)
        if found is not None:
            features.append(_feature(found, hit, scheme, item_url))
    return ItemsPage(total, features, facets_property(results) if request.facets else None)


def _feature(
    record: Record, hit: Hit | None, scheme: ThemeScheme, item_url: Callable[[str], str]
) -> dict[str, Any]:
    own = (record.provenance.source_id, record.provenance.original_id)
    copies = [(s.id, s.original_id) for s in hit.sources] if hit and hit.sources else [own]
    links = [{"href": item_url(record.id), "rel": "self", "type": "application/geo+json"}]
    for source, original in copies:
        if (source, original) != own:
            links.append(
                {
                    "href": item_url(record_id(source, original)),
                    "rel": "alternate",
                    "type": "application/geo+json",
                    "title": f"copy harvested from {source}",
                }
            )
    return record_feature(record, scheme, links=links, sources=copies)


def in_collection(record: Record, collection: Collection) -> bool:
    if collection.facet == "source":
        return record.provenance.source_id == collection.value
    if collection.facet == "theme":
        return any(t.id == collection.value or collection.value in t.broader for t in record.themes)
    return True
