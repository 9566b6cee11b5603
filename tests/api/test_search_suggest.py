"""GET /api/suggest: autocomplete from the backend's suggest, access-filtered like search,
documented in /openapi.json."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.api.conftest import assert_error, check_against


def test_suggest_completes_keywords_then_titles(client: FlaskClient) -> None:
    response = client.get("/api/suggest?q=zon")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"q": "zon", "suggestions": ["zones humides", "Zones humides de Bretagne"]}
    doc = client.get("/openapi.json").get_json()
    check_against(doc, "/api/suggest", "get", response)


def test_suggest_ignores_accents_and_case_and_respects_size(client: FlaskClient) -> None:
    found = client.get("/api/suggest?q=QUALITE").get_json()["suggestions"]
    assert found == ["qualité", "Qualité de l'eau des rivières"]
    assert client.get("/api/suggest?q=QUALITE&size=1").get_json()["suggestions"] == ["qualité"]


def test_an_empty_prefix_suggests_nothing(client: FlaskClient) -> None:
    assert client.get("/api/suggest").get_json() == {"q": "", "suggestions": []}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/suggest?q=a&size=0", "size must be"),
        ("/api/suggest?q=a&size=51", "size must be"),
        ("/api/suggest?q=a&size=x", "size must be"),
        ("/api/suggest?q=a&limit=3", "unknown parameter 'limit'"),
        ("/api/suggest?q=a&q=b", "given 2 times"),
        (f"/api/suggest?q={'a' * 201}", "longer than 200"),
    ],
)
def test_bad_suggest_parameters_are_a_400(client: FlaskClient, url: str, message: str) -> None:
    response = client.get(url)
    assert_error(response, 400, contains=message)
    check_against(client.get("/openapi.json").get_json(), "/api/suggest", "get", response)
