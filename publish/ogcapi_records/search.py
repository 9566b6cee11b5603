"""Items: an `ItemsRequest` run through the shared search state, answered as a Records
FeatureCollection.

The search is the one /api/search runs (`indexer.search_service.SearchService`: the same
analysis, thesaurus expansion, access filtering inside the backend, duplicate collapse),
so a record is found, counted and hidden the same way in every protocol. A collapsed
cluster is one record (the canonical copy the caller may see) whose other copies are
`alternate` links and its `sources` property.

`offset` is arbitrary while the backends page by (page, size): an offset that is not a
multiple of `limit` is served from the two backend pages that cover it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from indexer.backends.base import SearchBackend
from indexer.search_service import SearchService
from indexer.store import Store
from indexer.themes import Themer
from moisson.errors import BadQuery
from moisson.record import Hit, Query, Record, Results, record_id
from publish.geojson import record_feature
from publish.ogcapi_records.documents import Collection
from publish.ogcapi_records.params import ItemsRequest
from publish.scheme import ThemeScheme
from search_api.params import check_capabilities

__all__ = ["ItemsPage", "facets_property", "run_items"]

MAX_PAGE = 1_000_000


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
    size = request.limit
    return Query(
        q=request.q,
        filters=_filters(request, collection, themer),
        bbox=request.bbox,
        date_from=request.date_from,
        date_to=request.date_to,
        page=request.offset // size + 1,
        size=size,
        sort=request.sort,  # type: ignore[arg-type]  # checked by parse_items_args
        lang=request.lang,
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


def _search(
    query: Query, backend: SearchBackend, themer: Themer, languages: list[str], shift: int
) -> tuple[int, list[Hit], Results]:
    check_capabilities(query, backend.capabilities)
    if query.page > MAX_PAGE:
        raise BadQuery("offset is too deep; narrow the search instead")
    searched = SearchService(backend, themer, languages).run(query)
    query, results = searched.query, searched.results
    hits = list(results.hits)
    if shift and len(hits) == query.size and query.size:
        following = query.model_copy(update={"page": query.page + 1})
        hits += backend.search(following).hits
    return results.total, hits[shift : shift + query.size], results


def run_items(
    request: ItemsRequest,
    collection: Collection,
    *,
    store: Store,
    backend: SearchBackend,
    themer: Themer,
    scheme: ThemeScheme,
    languages: list[str],
    roles: list[str] | None,
    may_see: Callable[[Record], bool],
    item_url: Callable[[str], str],
) -> ItemsPage:
    """One page of records as features (see the module docstring)."""
    if request.ids:
        return _by_ids(request, collection, store, scheme, may_see, item_url)
    query = _query(request, collection, themer, roles)
    total, hits, results = _search(
        query, backend, themer, languages, request.offset % request.limit
    )
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


def _by_ids(
    request: ItemsRequest,
    collection: Collection,
    store: Store,
    scheme: ThemeScheme,
    may_see: Callable[[Record], bool],
    item_url: Callable[[str], str],
) -> ItemsPage:
    """`ids=a,b,c`: those records (that the caller may see and that belong to the
    collection), in the order asked. Combined with other search parameters it is refused:
    the backends cannot yet intersect an id list with a search."""
    if request.q or request.bbox or request.date_from or request.date_to or request.filters:
        raise BadQuery("ids cannot be combined with other search parameters yet")
    by_id = {r.id: r for r in store.active(request.ids)}
    found = [
        by_id[i]
        for i in request.ids
        if i in by_id and may_see(by_id[i]) and in_collection(by_id[i], collection)
    ]
    page = found[request.offset : request.offset + request.limit]
    return ItemsPage(len(found), [_feature(r, None, scheme, item_url) for r in page])


def in_collection(record: Record, collection: Collection) -> bool:
    if collection.facet == "source":
        return record.provenance.source_id == collection.value
    if collection.facet == "theme":
        return any(t.id == collection.value or collection.value in t.broader for t in record.themes)
    return True
