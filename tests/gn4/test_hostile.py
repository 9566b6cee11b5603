"""Hostile search bodies: each is a 400 with an Elasticsearch-style error naming the
problem, never a 500, and nothing of it reaches a backend unparsed (the facade only ever
hands the backends a neutral Query)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.gn4.conftest import API

SEARCH = f"{API}/search/records/_search"


def _deep_bool(depth: int) -> bytes:
    """A bool nested `depth` deep, as JSON text (too deep for json.dumps to write)."""
    opening, closing = '{"bool":{"must":[' * depth, "]}}" * depth
    return ('{"query":' + opening + '{"match_all":{}}' + closing + "}").encode()


def _qs(text: str) -> dict[str, Any]:
    return {"query": {"query_string": {"query": text}}}


HOSTILE: dict[str, tuple[Any, str]] = {
    "1 MB query string": (_qs("a " * 499_000), "longer than"),
    "10,000-deep bool": (_deep_bool(10_000), "nest"),
    "50-deep bool": (_deep_bool(50), "nest"),
    "regex bomb": (_qs("/.*.*.*.*/"), "regular expressions"),
    "wildcard bomb in query_string": (_qs("*a*b*c*"), "wildcards"),
    "wildcard bomb clause": ({"query": {"wildcard": {"uuid": "*a*b*c*"}}}, "trailing"),
    "deep parentheses": (_qs("(" * 500 + "a" + ")" * 500), "parentheses"),
    "size 1e9": ({"size": 1e9}, "size"),
    "size 1000000000": ({"size": 1_000_000_000}, "size"),
    "from -1": ({"from": -1}, "negative"),
    "script query": ({"query": {"script": {"script": "while(true){}"}}}, "script"),
    "script_score": ({"query": {"script_score": {"script": {"source": "1"}}}}, "script_score"),
    "script_fields": ({"script_fields": {"x": {"script": "1"}}}, "script_fields"),
    "unknown runtime field": (
        {"runtime_mappings": {"evil": {"type": "keyword", "script": "emit('x')"}}},
        "evil",
    ),
    "script sort": ({"sort": [{"_script": {"script": "1"}}]}, "_script"),
    "script aggregation": (
        {"aggregations": {"x": {"terms": {"script": "doc['a']"}}}},
        "script",
    ),
    "scripted_metric": ({"aggregations": {"x": {"scripted_metric": {}}}}, "scripted_metric"),
    "exclude regex": (
        {"aggregations": {"x": {"terms": {"field": "format", "exclude": ".*"}}}},
        "regular expressions",
    ),
    "unknown field": (_qs("password:secret"), "password"),
    "not an object": ([1, 2, 3], "JSON object"),
    "2,000 terms values": (
        {"query": {"terms": {"format": [str(i) for i in range(2000)]}}},
        "bounds",
    ),
    "5,000-character word": (_qs("a" * 5000), "bounds"),
    "too many clauses": (
        {"query": {"bool": {"should": [{"term": {"format": str(i)}} for i in range(600)]}}},
        "clauses",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bodies_are_400s(client: FlaskClient, name: str) -> None:
    body, words = HOSTILE[name]
    if isinstance(body, bytes):
        response = client.post(SEARCH, data=body, content_type="application/json")
    else:
        response = client.post(SEARCH, json=body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.get_json()
    assert error["status"] == 400
    assert error["error"]["root_cause"][0]["reason"] == error["error"]["reason"]
    assert words in error["error"]["reason"]


def test_a_body_that_is_not_json_is_a_400(client: FlaskClient) -> None:
    response = client.post(SEARCH, data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert "not JSON" in response.get_json()["error"]["reason"]


def test_a_bad_lucene_string_is_a_400(client: FlaskClient) -> None:
    response = client.post(SEARCH, json=_qs('format:("CSV" OR'))
    assert response.status_code == 400
    assert response.get_json()["error"]["type"] == "parsing_exception"
