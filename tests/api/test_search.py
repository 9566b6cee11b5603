"""GET /api/search on the real SqliteBackend: the documented shape, filters, toggle links."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from indexer.backends.base import FACETS, SearchBackend
from indexer.search_service import SearchService
from indexer.themes import load_themer
from moisson.config import Settings
from moisson.errors import BadQuery
from moisson.query import Or, Query, Range, Spatial, Term
from moisson.record import BBox, Record
from search_api.params import check_capabilities, parse_search_args
from search_api.serialise import search_response, source_names
from tests.api.conftest import GEO, OPEN

HIT_KEYS = {
    "id",
    "title",
    "abstract",
    "snippet",
    "bbox",
    "resource_type",
    "date",
    "links",
    "sources",
    "source_names",
    "themes",
}


def get(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def ids(body: dict[str, Any]) -> set[str]:
    return {hit["id"] for hit in body["hits"]}


def test_search_returns_the_documented_shape(client: FlaskClient) -> None:
    body = get(client, "/api/search?q=eau&size=2")
    assert list(body) == [
        "total",
        "page",
        "size",
        "query",
        "suggestion",
        "corrected",
        "hits",
        "facets",
        "facet_info",
    ]
    assert body["page"] == 1 and body["size"] == 2
    assert body["total"] >= 3
    assert len(body["hits"]) == 2
    for hit in body["hits"]:
        assert set(hit) == HIT_KEYS
        assert hit["bbox"] is None or (
            len(hit["bbox"]) == 4 and all(isinstance(v, float | int) for v in hit["bbox"])
        )
        assert all({"url", "protocol", "name"} <= set(link) for link in hit["links"])
        assert all(set(s) == {"id", "original_id", "name"} for s in hit["sources"])
    assert body["query"] == {
        "q": "eau",
        "page": 1,
        "size": 2,
        "sort": "relevance",
        "lang": None,
        "bbox": None,
        "from": None,
        "to": None,
        "filters": {},
        "facet_size": 10,
        "collapse": True,
        "expansions": [{"phrase": "eau", "concepts": ["water"]}],  # a thesaurus label
    }
    assert set(body["facets"]) <= set(FACETS)
    assert "source" in body["facets"]
    for buckets in body["facets"].values():
        for bucket in buckets:
            assert set(bucket) == {"value", "label", "count", "selected", "toggle"}
            assert bucket["toggle"].startswith("/api/search?")
    assert set(body["facet_info"]) == set(body["facets"])
    for info in body["facet_info"].values():
        assert set(info) == {"truncated", "timed_out"}


def test_empty_query_lists_everything(client: FlaskClient, records: dict[str, Record]) -> None:
    body = get(client, "/api/search?size=100")
    assert body["total"] == len(records)
    assert ids(body) == {r.id for r in records.values()}


def test_a_facet_filter_count_equals_the_filtered_total(client: FlaskClient) -> None:
    body = get(client, "/api/search")
    for facet in ("source", "format", "resource_type"):
        for bucket in body["facets"][facet]:
            filtered = get(client, f"/api/search?{facet}={bucket['value']}&size=0")
            assert filtered["total"] == bucket["count"], (facet, bucket)


def test_values_of_one_facet_or_and_facets_and(client: FlaskClient) -> None:
    both = get(client, f"/api/search?source={GEO}&source={OPEN}&size=0")
    assert both["total"] == 6
    csv_open = get(client, f"/api/search?source={OPEN}&format=CSV&size=0")
    assert csv_open["total"] == 3
    csv_geo = get(client, f"/api/search?source={GEO}&format=CSV&size=0")
    assert csv_geo["total"] == 0
    assert csv_open["query"]["filters"] == {"source": [OPEN], "format": ["CSV"]}


def test_bbox_filter_keeps_records_that_intersect(
    client: FlaskClient, records: dict[str, Record]
) -> None:
    # Around Lyon: the Rhône basin, France and Europe intersect; Brittany does not, and a
    # record without a bbox cannot match a spatial filter.
    body = get(client, "/api/search?bbox=4.5,45.5,5.0,46.0&size=100")
    assert ids(body) == {
        records[k].id for k in ("qualite-rivieres", "hydro", "corine", "population")
    }
    assert body["query"]["bbox"] == [4.5, 45.5, 5.0, 46.0]


def test_date_filter_uses_the_reference_date(
    client: FlaskClient, records: dict[str, Record]
) -> None:
    body = get(client, "/api/search?from=2019&to=2021-06-30&size=100")
    assert ids(body) == {records["zh-bzh"].id, records["population"].id}
    assert body["query"]["from"] == "2019-01-01"
    assert body["query"]["to"] == "2021-06-30"


def test_a_bare_year_as_to_covers_the_whole_year(
    client: FlaskClient, records: dict[str, Record]
) -> None:
    body = get(client, "/api/search?from=2022&to=2022&size=100")
    assert ids(body) == {records["qualite-rivieres"].id}


def test_following_a_toggle_link_selects_that_value(client: FlaskClient) -> None:
    body = get(client, "/api/search?q=eau&page=1")
    bucket = next(b for b in body["facets"]["source"] if b["value"] == OPEN)
    assert bucket["selected"] is False
    toggled = get(client, bucket["toggle"])
    assert toggled["query"]["filters"] == {"source": [OPEN]}
    assert toggled["query"]["q"] == "eau"
    selected = [b for b in toggled["facets"]["source"] if b["selected"]]
    assert [b["value"] for b in selected] == [OPEN]
    assert toggled["total"] == selected[0]["count"] == bucket["count"]


def test_the_toggle_of_a_selected_value_removes_it_and_resets_page(client: FlaskClient) -> None:
    body = get(client, f"/api/search?q=eau&source={OPEN}&page=1&size=1")
    bucket = next(b for b in body["facets"]["source"] if b["value"] == OPEN)
    assert bucket["selected"] is True
    query = parse_qs(urlsplit(bucket["toggle"]).query)
    assert query == {"q": ["eau"], "size": ["1"]}
    assert get(client, bucket["toggle"])["query"]["filters"] == {}


def test_paging_walks_all_hits_once(client: FlaskClient, records: dict[str, Record]) -> None:
    seen: list[str] = []
    for page in (1, 2, 3):
        body = get(client, f"/api/search?size=2&page={page}&sort=title")
        assert body["page"] == page
        seen += [hit["id"] for hit in body["hits"]]
    assert sorted(seen) == sorted(r.id for r in records.values())


def test_sort_by_title(client: FlaskClient) -> None:
    body = get(client, "/api/search?sort=title&size=100")
    titles = [hit["title"] for hit in body["hits"]]
    assert titles[0] == "Occupation du sol Corine Land Cover"
    assert titles[-1] == "Zones humides de Bretagne"


def test_empty_values_count_as_absent(client: FlaskClient) -> None:
    # What an HTML form sends for the fields left blank.
    body = get(client, "/api/search?q=&bbox=&from=&to=&source=&size=0")
    assert body["total"] == 6
    assert body["query"]["filters"] == {}


def test_the_cli_json_is_the_api_response(
    client: FlaskClient, settings: Settings, backend: SearchBackend
) -> None:
    args = {"q": ["eau"], "source": [GEO]}
    query = parse_search_args(args, settings)
    themer = load_themer(settings.themes)
    searched = SearchService(backend, themer, settings.themes.languages).run(query)
    printed = search_response(searched.results, searched.query, args, source_names(settings))
    assert get(client, f"/api/search?q=eau&source={GEO}") == printed


def test_sort_by_date_puts_the_newest_first(client: FlaskClient) -> None:
    body = get(client, "/api/search?sort=date&size=100")
    dates = [hit["date"] for hit in body["hits"]]
    assert dates == sorted(dates, reverse=True)


def test_a_facet_cut_at_facet_size_says_it_is_truncated(client: FlaskClient) -> None:
    body = get(client, "/api/search?facet_size=1")
    assert len(body["facets"]["keyword"]) == 1
    assert body["facet_info"]["keyword"] == {"truncated": True, "timed_out": False}
    assert body["facet_info"]["source"]["truncated"] is True
    assert get(client, "/api/search?facet_size=5")["facet_info"]["source"]["truncated"] is False


def test_capabilities_are_checked_inside_protocol_trees() -> None:
    box = BBox(west=0, south=0, east=1, north=1)
    tree = Query(where=Or(children=(Term(text="eau"), Spatial(bbox=box))))
    with pytest.raises(BadQuery, match="does not support bbox"):
        check_capabilities(tree, frozenset({"fulltext"}))
    with pytest.raises(BadQuery, match="does not support daterange"):
        check_capabilities(Query(ranges=[Range(field="created")]), frozenset({"fulltext"}))
    check_capabilities(tree, frozenset({"fulltext", "bbox"}))
