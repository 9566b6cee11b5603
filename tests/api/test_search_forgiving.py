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
