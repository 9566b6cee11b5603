"""Helpers of the GN4 facade tests: post a body, read hits and buckets, build the filter
bodies the datahub builds (the recorded skeleton with one `query_string` filter)."""

from __future__ import annotations

import copy
import unicodedata
from typing import Any

from flask.testing import FlaskClient

from tests.gn4.conftest import API, recorded_body

__all__ = ["buckets", "fold", "hits", "post", "search_with_filter", "texts", "total"]


def post(
    client: FlaskClient,
    body: Any,
    prefix: str = API,
    headers: dict[str, str] | None = None,
    status: int = 200,
) -> dict[str, Any]:
    response = client.post(
        f"{prefix}/search/records/_search?bucket=bucket",
        json=body,
        headers={"Accept-Language": "en", **(headers or {})},
    )
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    found: dict[str, Any] = response.get_json()
    return found


def total(answer: dict[str, Any]) -> int:
    value = answer["hits"]["total"]
    assert isinstance(value, dict) and isinstance(value["value"], int)
    return int(value["value"])


def hits(answer: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = answer["hits"]["hits"]
    for hit in found:
        assert hit["_id"] == hit["_source"].get("uuid", hit["_id"])
    return found


def buckets(answer: dict[str, Any], name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = answer["aggregations"][name]["buckets"]
    for bucket in found:
        assert isinstance(bucket["key"], str) and isinstance(bucket["doc_count"], int)
    return found


def search_with_filter(client: FlaskClient, query: str, prefix: str = API) -> dict[str, Any]:
    """The datahub's filtered search (recording 12) with `query` as its filter string, and
    20 hits so every match of the small catalogue is seen."""
    body = copy.deepcopy(recorded_body("12"))
    body["query"]["bool"]["filter"][1]["query_string"]["query"] = query
    body["size"] = 100
    body.pop("_source")
    return post(client, body, prefix)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def texts(source: dict[str, Any]) -> str:
    """Title, abstract and tags of a document, folded."""
    parts = [
        source.get("resourceTitleObject", {}).get("default", ""),
        source.get("resourceAbstractObject", {}).get("default", ""),
        *(t.get("default", "") for t in source.get("tag", [])),
    ]
    return fold(" ".join(parts))
