"""OGC API - Records over the harvested samples: every answer valid against the official
Records schemas, paging to the end, the same records and facet counts as /api/search,
search parameters, HTML views, and hostile input answered by OGC API exceptions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import html as lxml_html
from openapi_spec_validator import validate as validate_spec
from werkzeug.test import TestResponse

from tests.conftest import require
from tests.publish import records_schemas

BASE = "/ogcapi"
ITEMS = f"{BASE}/collections/catalogue/items"


@pytest.fixture(scope="module")
def client(sample_app: Flask) -> FlaskClient:
    return sample_app.test_client()


def _json(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json(force=True)
    return body


def _path(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _valid(schema: str, doc: Any) -> None:
    require(records_schemas.available(), "OGC API Records schemas not found in shared fixtures")
    assert records_schemas.errors(schema, doc) == []


def _all_items(client: FlaskClient, url: str) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = []
    pages = 0
    while url:
        page = _json(client, url)
        _valid("core/recordCollectionGeoJSON.yaml", page)
        features += page["features"]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        url = _path(nxt[0]) if nxt else ""
        pages += 1
        assert pages < 100
    return features


def test_landing_conformance_and_collections_are_valid(client: FlaskClient) -> None:
    landing = _json(client, f"{BASE}/")
    _valid("core/landingPage.yaml", landing)
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conformance = _json(client, f"{BASE}/conformance")
    assert "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/core" in conformance["conformsTo"]
    collections = _json(client, f"{BASE}/collections")["collections"]
    ids = [c["id"] for c in collections]
    assert ids[0] == "catalogue"
    assert {"source-sample-csw", "source-sample-dcat", "source-sample-ckan"} <= set(ids)
    assert "theme-water" in ids and "theme-biodiversity" in ids
    for collection in collections:
        _valid("core/collection.yaml", collection)
        assert _json(client, f"{BASE}/collections/{collection['id']}")["id"] == collection["id"]
    openapi = _json(client, f"{BASE}/openapi")
    assert "/collections/{collectionId}/items" in openapi["paths"]
    validate_spec(openapi)  # a valid OpenAPI 3.0 document


def test_paging_through_next_links_returns_every_record_once(client: FlaskClient) -> None:
    total = _json(client, "/api/search?size=0")["total"]
    features = _all_items(client, f"{ITEMS}?limit=4")
    assert len(features) == total > 20
    assert len({f["id"] for f in features}) == total
    first = _json(client, f"{ITEMS}?limit=4")
    assert first["numberMatched"] == total and first["numberReturned"] == 4


def test_every_record_is_valid_and_served_alone(client: FlaskClient) -> None:
    for feature in _all_items(client, f"{ITEMS}?limit=50"):
        _valid("core/recordGeoJSON.yaml", feature)
        self_link = next(link["href"] for link in feature["links"] if link["rel"] == "self")
        alone = _json(client, _path(self_link))
        _valid("core/recordGeoJSON.yaml", alone)
        assert alone["properties"]["title"] == feature["properties"]["title"]


def test_company_themes_are_concepts_under_the_thesaurus_scheme(client: FlaskClient) -> None:
    features = _all_items(client, f"{BASE}/collections/theme-water/items?limit=50")
    assert features
    for feature in features:
        ours = [
            t
            for t in feature["properties"]["themes"]
            if t["scheme"] == "https://w3id.org/moisson/theme"
        ]
        assert len(ours) == 1
        for concept in ours[0]["concepts"]:
            assert concept["url"] == f"https://w3id.org/moisson/theme/{concept['id']}"
            assert concept["title"]


def test_wms_links_carry_the_ogc_type_metasearch_uses(client: FlaskClient) -> None:
    page = _json(client, f"{ITEMS}?protocol=OGC:WMS&limit=50")
    assert page["numberMatched"] > 0
    for feature in page["features"]:
        assert any(link.get("type") == "OGC:WMS" for link in feature["links"])


def test_duplicates_are_one_record_with_alternate_copies(client: FlaskClient) -> None:
    features = _all_items(client, f"{ITEMS}?limit=50")
    clusters = [f for f in features if len(f["properties"]["sources"]) > 1]
    assert len(clusters) == 2  # samples/README.md: two republished CSW records
    for feature in clusters:
        alternates = [link for link in feature["links"] if link["rel"] == "alternate"]
        assert len(alternates) == len(feature["properties"]["sources"]) - 1
        copy = _json(client, _path(alternates[0]["href"]))
        assert copy["id"] != feature["id"]


def test_facets_have_the_counts_of_api_search(client: FlaskClient) -> None:
    page = _json(client, f"{ITEMS}?q=eau&facets=true&limit=1")
    search = _json(client, "/api/search?q=eau&size=1")
    assert page["numberMatched"] == search["total"]
    for name, buckets in search["facets"].items():
        assert [(b["value"], b["count"]) for b in page["facets"][name]["buckets"]] == [
            (b["value"], b["count"]) for b in buckets
        ]


@pytest.mark.parametrize(
    ("records", "search"),
    [
        ("q=zones%20humides", "q=zones%20humides"),
        ("bbox=-5,47,-1,49", "bbox=-5,47,-1,49"),
        ("datetime=2020-01-01/..", "from=2020-01-01"),
        ("datetime=../2019-12-31", "to=2019-12-31"),
        ("type=service", "resource_type=service"),
        ("filter=type%3D%27service%27", "resource_type=service"),
        (
            "filter=S_INTERSECTS(geometry,BBOX(-5,47,-1,49))%20AND%20keyword%3D%27Bretagne%27",
            "bbox=-5,47,-1,49&keyword=Bretagne",
        ),
        ("theme=water", "theme=water"),
    ],
)
def test_search_parameters_match_api_search(client: FlaskClient, records: str, search: str) -> None:
    page = _json(client, f"{ITEMS}?{records}&limit=100")
    expected = _json(client, f"/api/search?{search}&size=100")
    assert page["numberMatched"] == expected["total"]
    assert [f["id"] for f in page["features"]] == [h["id"] for h in expected["hits"]]


def _ids(client: FlaskClient, url: str) -> set[str]:
    return {f["id"] for f in _json(client, url)["features"]}


def _search_ids(client: FlaskClient, query: str) -> set[str]:
    return {h["id"] for h in _json(client, f"/api/search?{query}&size=100")["hits"]}


def test_cql2_or_and_not_are_set_union_and_complement(client: FlaskClient) -> None:
    every = _search_ids(client, "")
    services = _search_ids(client, "resource_type=service")
    brittany = _search_ids(client, "keyword=Bretagne")
    assert services and brittany and every > services | brittany
    union = _ids(
        client, f"{ITEMS}?limit=100&filter=type%3D%27service%27%20OR%20keyword%3D%27Bretagne%27"
    )
    assert union == services | brittany
    others = _ids(client, f"{ITEMS}?limit=100&filter=NOT%20type%3D%27service%27")
    assert others == every - services
    both = _ids(
        client,
        f"{ITEMS}?limit=100&filter=keyword%3D%27Bretagne%27%20AND%20NOT%20(type%3D%27service%27)",
    )
    assert both == brittany - services


def test_cql2_dates_compare_the_updated_property(client: FlaskClient) -> None:
    url = f"{ITEMS}?limit=100&filter=updated%20%3E%3D%20DATE(%272020-01-01%27)"
    features = _json(client, url)["features"]
    assert features
    assert all(f["properties"]["updated"] >= "2020-01-01" for f in features)
    everyone = _json(client, f"{ITEMS}?limit=100")["features"]
    expected = {f["id"] for f in everyone if f["properties"].get("updated", "") >= "2020-01-01"}
    assert {f["id"] for f in features} == expected


def test_offsets_need_not_be_multiples_of_limit(client: FlaskClient) -> None:
    every = [f["id"] for f in _json(client, f"{ITEMS}?limit=30&sortby=title")["features"]]
    for offset in (0, 3, 7, 11):
        page = _json(client, f"{ITEMS}?limit=5&offset={offset}&sortby=title")
        assert [f["id"] for f in page["features"]] == every[offset : offset + 5]
        same = _json(client, f"{ITEMS}?limit=5&startindex={offset}&sortby=title")
        assert [f["id"] for f in same["features"]] == every[offset : offset + 5]


@pytest.mark.parametrize(("sortby", "sort"), [("title", "title"), ("-date", "date")])
def test_sortby_orders_as_api_search_sort(client: FlaskClient, sortby: str, sort: str) -> None:
    page = _json(client, f"{ITEMS}?sortby={sortby}&limit=50")
    expected = _json(client, f"/api/search?sort={sort}&size=50")
    assert [f["id"] for f in page["features"]] == [h["id"] for h in expected["hits"]]


def test_sortby_both_directions(client: FlaskClient) -> None:
    up = [f["id"] for f in _json(client, f"{ITEMS}?sortby=title&limit=100")["features"]]
    down = [f["id"] for f in _json(client, f"{ITEMS}?sortby=-title&limit=100")["features"]]
    assert up == down[::-1]
    updated = _json(client, f"{ITEMS}?sortby=-updated&limit=100")["features"]
    dates = [f["properties"]["updated"] for f in updated if "updated" in f["properties"]]
    assert dates == sorted(dates, reverse=True) and dates


def test_ids_return_those_records_and_combine_with_search(client: FlaskClient) -> None:
    ids = [f["id"] for f in _json(client, f"{ITEMS}?limit=3&sortby=title")["features"]]
    page = _json(client, f"{ITEMS}?ids={','.join(ids)}&sortby=title")
    assert [f["id"] for f in page["features"]] == ids
    assert page["numberMatched"] == 3
    first_title = page["features"][0]["properties"]["title"].split()[0]
    narrowed = _json(client, f"{ITEMS}?ids={','.join(ids)}&q={first_title}")
    assert ids[0] in {f["id"] for f in narrowed["features"]}
    assert narrowed["numberMatched"] <= 3


def test_external_ids_find_records_by_resource_identifier(client: FlaskClient) -> None:
    features = _all_items(client, f"{ITEMS}?limit=50")
    with_ids = [f for f in features if f["properties"].get("externalIds")]
    assert with_ids
    code = with_ids[0]["properties"]["externalIds"][0]["value"]
    page = _json(client, f"{ITEMS}?externalIds={code}")
    assert with_ids[0]["id"] in {f["id"] for f in page["features"]}
    assert _json(client, f"{ITEMS}?externalIds=no-such-code")["numberMatched"] == 0


def test_source_collections_hold_only_their_source(client: FlaskClient) -> None:
    features = _all_items(client, f"{BASE}/collections/source-sample-dcat/items?limit=50")
    assert features
    assert all(
        any(s["source"] == "sample-dcat" for s in f["properties"]["sources"]) for f in features
    )
    other = next(f for f in _all_items(client, f"{ITEMS}?limit=50") if "sample-csw" in str(f))
    response = client.get(f"{BASE}/collections/source-sample-dcat/items/{other['id']}")
    _problem(response, 404)


def test_html_views_are_pages(client: FlaskClient) -> None:
    for url in (f"{BASE}/?f=html", f"{BASE}/collections?f=html", f"{ITEMS}?f=html&q=eau"):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/html"
        page = lxml_html.document_fromstring(response.get_data(as_text=True))
        assert page.findtext(".//title")
    browser = client.get(f"{BASE}/collections", headers={"Accept": "text/html"})
    assert browser.mimetype == "text/html"
    feature = _json(client, f"{ITEMS}?limit=1")["features"][0]
    response = client.get(f"{ITEMS}/{feature['id']}?f=html")
    assert feature["properties"]["title"].split("&")[0] in response.get_data(as_text=True)


def _problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert set(body) == {"type", "title", "status", "detail"}
    assert body["status"] == status and body["detail"] and "Traceback" not in body["detail"]
    return body


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=-3",
        "offset=-1",
        "offset=5000000",
        "bbox=1,2,3",
        "bbox=1,2,3,4,5",
        "bbox=170,-10,-170,10",
        "bbox=a,b,c,d",
        "bbox=0,0,1e999,1",
        "datetime=../..",
        "datetime=2020-13-45",
        "datetime=2021-01-01/2020-01-01",
        "f=xml",
        "sortby=nope",
        "filter=" + "(" * 1000 + "type%3D%27a%27" + ")" * 1000,
        "filter=nope%3D%27x%27",
        "filter=type%3D%27" + "x" * 5000 + "%27",
        "filter=type%3D",
        "filter-lang=cql2-json&filter=%7B%7D",
        "nonsense=1",
        "facets=maybe",
        "sortby=title,-nope",
    ],
)
def test_hostile_items_input_is_a_4xx_ogc_exception(client: FlaskClient, query: str) -> None:
    _problem(client.get(f"{ITEMS}?{query}"), 400)


def test_huge_limit_is_capped_not_refused(client: FlaskClient) -> None:
    page = _json(client, f"{ITEMS}?limit=1000000000")
    assert page["numberReturned"] == min(100, page["numberMatched"])


def test_unknown_collection_and_record_are_404_ogc_exceptions(client: FlaskClient) -> None:
    _problem(client.get(f"{BASE}/collections/nope"), 404)
    _problem(client.get(f"{BASE}/collections/nope/items"), 404)
    _problem(client.get(f"{ITEMS}/no-such-record"), 404)
    _problem(client.get(f"{BASE}/collections/nope/queryables"), 404)
