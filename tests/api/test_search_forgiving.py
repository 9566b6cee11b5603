"""GET /api/search forgives typos over the harvested sample catalogue: the corrected hits,
the "did you mean" suggestion in the JSON, as documented in /openapi.json."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.api.conftest import check_against
from tests.api.test_sample_catalogue import sample_client

__all__ = ["sample_client"]


def test_a_typo_is_corrected_and_said(sample_client: FlaskClient) -> None:
    doc = sample_client.get("/openapi.json").get_json()
    response = sample_client.get("/api/search?q=Camarque")
    check_against(doc, "/api/search", "get", response)
    body = response.get_json()
    assert body["suggestion"] == "camargue" and body["corrected"] is True
    assert body["total"] > 0 and "camargue" in body["hits"][0]["title"].lower()


def test_an_exact_query_has_no_suggestion(sample_client: FlaskClient) -> None:
    body = sample_client.get("/api/search?q=camargue").get_json()
    assert body["suggestion"] is None and body["corrected"] is False
    assert body["total"] > 0


def test_a_bbox_across_the_antimeridian_is_searched_as_two_boxes(
    sample_client: FlaskClient,
) -> None:
    pacific = sample_client.get("/api/search?bbox=170,-10,-170,10")
    assert pacific.status_code == 200, pacific.get_data(as_text=True)
    # From 10°W eastwards round to 170°W: France is in the eastern box.
    across = sample_client.get("/api/search?bbox=-10,40,-170,60&size=100").get_json()
    east = sample_client.get("/api/search?bbox=-10,40,180,60&size=100").get_json()
    west = sample_client.get("/api/search?bbox=-180,40,-170,60&size=100").get_json()
    assert east["total"] > 0
    assert {h["id"] for h in across["hits"]} == {h["id"] for h in east["hits"] + west["hits"]}


def test_the_source_facet_shows_the_source_name(sample_client: FlaskClient) -> None:
    body = sample_client.get("/api/search").get_json()
    assert [(b["value"], b["label"]) for b in body["facets"]["source"]] == [
        ("sample-csw", "Samples")
    ]


def test_identifier_filters_date_ranges_sort_keys_and_start_are_url_parameters(
    sample_client: FlaskClient,
) -> None:
    doc = sample_client.get("/openapi.json").get_json()
    by_id = sample_client.get("/api/search?identifier=EPTB-VIL-ZH-2022&collapse=false")
    check_against(doc, "/api/search", "get", by_id)
    assert by_id.get_json()["total"] == 2
    everything = sample_client.get("/api/search?size=100&collapse=false").get_json()
    assert everything["total"] > 4
    ordered = sample_client.get("/api/search?size=100&collapse=false&sort=title").get_json()
    titles = [h["id"] for h in ordered["hits"]]
    later = sample_client.get("/api/search?size=3&start=2&collapse=false&sort=title").get_json()
    assert [h["id"] for h in later["hits"]] == titles[2:5]
    newest = sample_client.get("/api/search?size=100&collapse=false&sort=-metadata,title")
    check_against(doc, "/api/search", "get", newest)
    assert newest.status_code == 200
    ranged = sample_client.get("/api/search?collapse=false&created_from=3000").get_json()
    assert ranged["total"] == 0
    bad = sample_client.get("/api/search?sort=-colour")
    assert bad.status_code == 400 and "sort" in bad.get_json()["error"]["message"]
