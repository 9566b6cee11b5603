"""One test per request the real datahub sent (../shared/fixtures/datahub/requests/),
replayed against Moisson on SQLite and OpenSearch: the shapes its README lists as required,
and semantic checks (filters narrow, facet counts equal filtered totals, sorts order, `from`
pages, the uuid query finds its record, autocomplete finds prefixes, more_like_this shares
terms). Masked values of the recordings (organisations, formats, topics...) are replaced by
values of this catalogue, read from the facade's own aggregations."""

from __future__ import annotations

import copy
import re

import pytest
from flask.testing import FlaskClient

from tests.gn4.conftest import recorded_body
from tests.gn4.search import buckets, fold, hits, post, search_with_filter, texts, total

_SEARCHES = ["03", "09", "10", "25", "30"]


def _all(client: FlaskClient) -> int:
    return total(post(client, recorded_body("01")))


def test_01_count_is_a_total_object(client: FlaskClient) -> None:
    answer = post(client, recorded_body("01"))
    assert total(answer) >= 40
    assert answer["hits"]["hits"] == []
    assert answer["aggregations"] == {}


def test_02_contact_and_organisation_aggregations(client: FlaskClient) -> None:
    answer = post(client, recorded_body("02"))
    assert set(answer["aggregations"]) == {"contact", "orgForResource"}
    orgs = buckets(answer, "orgForResource")
    assert orgs and [b["key"] for b in orgs] == sorted(b["key"] for b in orgs)
    contact = answer["aggregations"]["contact"]
    assert isinstance(contact["doc_count"], int)
    for bucket in contact["org"]["buckets"]:
        assert isinstance(bucket["mail"]["buckets"], list)
        assert isinstance(bucket["logoUrl"]["buckets"], list)
    assert {b["key"]: b["doc_count"] for b in contact["org"]["buckets"]} == {
        b["key"]: b["doc_count"] for b in orgs
    }
    for bucket in orgs[:3]:
        name = bucket["key"].replace('"', '\\"')
        found = search_with_filter(client, f'OrgForResourceObject.default:("{name}")')
        assert total(found) == bucket["doc_count"]
        for hit in hits(found):
            assert bucket["key"] in [o["default"] for o in hit["_source"]["OrgForResourceObject"]]


@pytest.mark.parametrize(
    ("prefix", "name", "gn4_field"),
    [
        ("04", "format", "format"),
        ("05", "publicationYearForResource", "publicationYearForResource"),
        ("06", "cl_topic.key", "cl_topic.key"),
        ("07", "isSpatial", "isSpatial"),
        ("08", "license", "license"),
    ],
)
def test_04_to_08_facet_counts_equal_filtered_totals(
    client: FlaskClient, prefix: str, name: str, gn4_field: str
) -> None:
    body = recorded_body(prefix)
    answer = post(client, body)
    assert list(answer["aggregations"]) == [name]  # exactly the requested name
    found = buckets(answer, name)
    assert found
    terms = body["aggregations"][name]["terms"]
    key, direction = next(iter(terms["order"].items()))
    values = [b["key"] if key == "_key" else b["doc_count"] for b in found]
    assert values == sorted(values, reverse=direction == "desc")
    assert len(found) <= terms["size"]
    for bucket in found[:3]:
        value = bucket["key"].replace('"', '\\"')
        filtered = search_with_filter(client, f'{gn4_field}:("{value}")')
        assert total(filtered) == bucket["doc_count"], bucket
        assert total(filtered) < _all(client) or len(found) == 1


def test_07_is_spatial_splits_the_catalogue(client: FlaskClient) -> None:
    answer = post(client, recorded_body("07"))
    counts = {b["key"]: b["doc_count"] for b in buckets(answer, "isSpatial")}
    assert set(counts) <= {"yes", "no"}
    assert sum(counts.values()) == _all(client)
    for hit in hits(search_with_filter(client, 'isSpatial:("yes")')):
        assert hit["_source"]["isSpatial"] == "yes"


@pytest.mark.parametrize("prefix", _SEARCHES)
def test_searches_sort_by_the_named_field(client: FlaskClient, prefix: str) -> None:
    body = copy.deepcopy(recorded_body(prefix))
    body["size"] = 100
    body["query"]["bool"]["filter"] = body["query"]["bool"]["filter"][:1]
    body.pop("_source")  # the whole documents, to read the sort fields
    answer = post(client, body)
    found = hits(answer)
    assert len(found) == total(answer) == _all(client)
    first = next(iter(body["sort"][0]))
    documents = {
        "createDate": "createDate",
        "changeDate": "changeDate",
        "revisionDateForResource": "revisionDateForResource",
    }
    if first in documents:
        values = [h["_source"].get(documents[first]) for h in found]
        values = [v[0] if isinstance(v, list) and v else v or None for v in values]
        present = [v for v in values if v]
        assert present == sorted(present, reverse=True)
        assert values[: len(present)] == present  # missing values come last
    for hit in found[:10]:
        source = hit["_source"]
        assert source["resourceTitleObject"]["default"]
        assert source["isTemplate"] == "n"
        assert source["userinfo"].count("|") == 3


def test_03_brief_source_keeps_the_requested_fields(client: FlaskClient) -> None:
    body = recorded_body("03")
    answer = post(client, body)
    assert len(hits(answer)) == 10
    for hit in hits(answer):
        source = hit["_source"]
        assert {"uuid", "resourceTitleObject", "contactForResource", "OrgForResourceObject"} <= set(
            source
        )
        assert "geom" not in source and "isSpatial" not in source  # not in the BRIEF list
        for contact in source["contactForResource"]:
            assert "default" in contact["organisationObject"]


def test_26_from_pages(client: FlaskClient) -> None:
    body = copy.deepcopy(recorded_body("26"))
    page2 = [h["_id"] for h in hits(post(client, body))]
    body["from"], body["size"] = 0, 20
    both_pages = [h["_id"] for h in hits(post(client, body))]
    assert len(page2) == 10 and page2 == both_pages[10:20]


def test_11_full_text_matches_and_ranks(client: FlaskClient) -> None:
    body = recorded_body("11")
    answer = post(client, body)
    assert 0 < total(answer) < _all(client)
    for hit in hits(answer):
        assert "eau" in texts(hit["_source"])
    scores = [h["_score"] for h in hits(answer)]
    assert scores == sorted(scores, reverse=True)


def _first(client: FlaskClient, prefix: str, name: str) -> list[str]:
    return [b["key"] for b in buckets(post(client, recorded_body(prefix)), name)]


def test_12_15_format_filters(client: FlaskClient) -> None:
    formats = _first(client, "04", "format")
    one = search_with_filter(client, f'format:("{formats[0]}")')
    assert all(formats[0] in h["_source"]["format"] for h in hits(one))
    two = search_with_filter(client, f'format:("{formats[0]}" OR "{formats[1]}")')
    assert total(two) >= max(total(one), 1)
    assert all({formats[0], formats[1]} & set(h["_source"]["format"]) for h in hits(two))


def test_13_14_24_organisation_and_format_filters(client: FlaskClient) -> None:
    formats = _first(client, "04", "format")
    seeds = hits(search_with_filter(client, f'format:("{formats[0]}")'))
    seed = next(h["_source"] for h in seeds if h["_source"]["OrgForResourceObject"])
    organisation = seed["OrgForResourceObject"][0]["default"]
    value = formats[0]
    for query in (
        f'OrgForResourceObject.default:("{organisation}") AND format:("{value}")',
        f'format:("{value}") AND OrgForResourceObject.default:("{organisation}")',
    ):
        found = search_with_filter(client, query)
        assert total(found) >= 1
        for hit in hits(found):
            assert value in hit["_source"]["format"]
            assert organisation in [o["default"] for o in hit["_source"]["OrgForResourceObject"]]


def test_16_17_18_record_kinds(client: FlaskClient) -> None:
    everything = _all(client)
    for prefix, allowed in (
        ("16", {"dataset", "series", "featureCatalog", "document"}),
        ("17", {"service"}),
        ("18", None),
    ):
        body = copy.deepcopy(recorded_body(prefix))
        body["size"] = 100
        answer = post(client, body)
        query = body["query"]["bool"]["filter"][1]["query_string"]["query"]
        if allowed is None:
            allowed = set(re.findall(r'"([^"]+)"', query.split(" AND ", 1)[0]))
        assert total(answer) < everything
        for hit in hits(answer):
            assert set(hit["_source"]["resourceType"]) <= allowed
    services = total(post(client, recorded_body("17")))
    datasets = total(post(client, recorded_body("16")))
    assert services >= 1 and datasets >= 1


def test_19_20_21_22_23_30_single_filters(client: FlaskClient) -> None:
    organisation = _first(client, "02", "orgForResource")[0]
    body = copy.deepcopy(recorded_body("30"))
    body["query"]["bool"]["filter"][1]["query_string"]["query"] = (
        f'OrgForResourceObject.default:("{organisation}")'
    )
    found = post(client, body)
    assert total(found) >= 1 and len(hits(found)) <= 12
    year = _first(client, "05", "publicationYearForResource")[0]
    for hit in hits(search_with_filter(client, f'publicationYearForResource:("{year}")')):
        assert hit["_source"]["publicationYearForResource"] == year
    topic = _first(client, "06", "cl_topic.key")[0]
    for hit in hits(search_with_filter(client, f'cl_topic.key:("{topic}")')):
        assert topic in [t["key"] for t in hit["_source"]["cl_topic"]]
    licence = _first(client, "08", "license")[0]
    for hit in hits(search_with_filter(client, f'license:("{licence}")')):
        assert licence in hit["_source"]["license"]
    for prefix in ("19", "20", "21", "22", "23"):
        assert isinstance(total(post(client, recorded_body(prefix))), int)  # masked values: shapes


def test_27_autocomplete_returns_prefix_matches(client: FlaskClient) -> None:
    body = copy.deepcopy(recorded_body("27"))
    body["query"]["bool"]["must"][1]["multi_match"]["query"] = "humi"
    answer = post(client, body)
    assert total(answer) >= 1
    for hit in hits(answer):
        source = hit["_source"]
        assert set(source) <= {"resourceTitleObject", "uuid", "resourceType", "cl_presentationForm"}
        assert source["resourceTitleObject"]["default"]
    assert any(re.search(r"\bhumi", texts(h["_source"])) for h in hits(answer))


def test_28_record_by_uuid(client: FlaskClient) -> None:
    uuid = hits(post(client, recorded_body("10")))[3]["_id"]
    body = {"query": {"ids": {"values": [uuid]}}}
    response = client.post(
        "/geonetwork/srv/api/search/records/_search?bucket=bucket&relatedType=fcats&relatedType=hassources",
        json=body,
    )
    answer = response.get_json()
    assert [h["_id"] for h in answer["hits"]["hits"]] == [uuid]
    source = answer["hits"]["hits"][0]["_source"]
    assert (
        source["resourceType"][0]
        in {"dataset", "series", "service", "application", "document", "nonGeographicDataset"}
        or source["resourceType"]
    )
    assert {"link", "contactForResource", "tag", "geom", "cl_topic"} & set(source)
    assert total(post(client, {"query": {"ids": {"values": ["no-such-uuid"]}}})) == 0


def test_29_similar_records_share_terms(client: FlaskClient) -> None:
    seed = hits(search_with_filter(client, 'resourceType:("dataset")'))[0]["_source"]
    body = copy.deepcopy(recorded_body("29"))
    like = {
        "resourceTitleObject": {"default": seed["resourceTitleObject"]["default"]},
        "resourceAbstractObject": {"default": seed["resourceAbstractObject"]["default"]},
        "allKeywords": [t["default"] for t in seed["tag"]],
    }
    body["query"]["bool"]["must"][0]["more_like_this"]["like"] = [{"doc": like}]
    body["query"]["bool"]["must_not"] = [{"wildcard": {"uuid": seed["uuid"]}}]
    answer = post(client, body)
    found = hits(answer)
    assert 1 <= len(found) <= 3
    assert seed["uuid"] not in [h["_id"] for h in found]
    seed_words = set(re.findall(r"\w{4,}", texts(seed)))
    for hit in found:
        assert seed_words & set(re.findall(r"\w{4,}", fold(texts(hit["_source"]))))
