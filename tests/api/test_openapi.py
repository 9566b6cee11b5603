"""/openapi.json is a valid OpenAPI 3 document that matches what the API really does.

- the document validates (openapi-spec-validator);
- real responses validate against it (openapi-schema-validator, with formats checked);
- one walk over every documented operation sends good and bad input and checks each answer
  is documented and every non-2xx is the one error shape;
- every route Flask serves is documented, and everything documented is served;
- docs/api.md mentions every path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate as validate_spec

from moisson.record import Record
from tests.api.conftest import GEO, check_against

ROOT = Path(__file__).resolve().parents[2]
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def doc(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def test_the_document_is_valid_openapi_3(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.0")
    validate_spec(doc)


def test_the_record_schema_comes_from_the_model(doc: dict[str, Any]) -> None:
    schema = doc["components"]["schemas"]["Record"]
    assert set(schema["properties"]) == set(Record.model_fields)
    assert schema["properties"]["provenance"] == {"$ref": "#/components/schemas/Provenance"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/search",
        "/api/search?q=eau&bbox=-10,35,20,60&from=2000&to=2024&source=geo&sort=date&size=3",
        "/api/search?q=eau&size=0",
        "/api/sources",
        "/healthz",
    ],
)
def test_real_json_responses_match_the_document(
    client: FlaskClient, doc: dict[str, Any], url: str
) -> None:
    path = url.split("?")[0]
    response = client.get(url)
    assert response.status_code == 200
    check_against(doc, path, "get", response)


def test_a_real_record_matches_the_document(
    client: FlaskClient, doc: dict[str, Any], records: dict[str, Record]
) -> None:
    for record in records.values():
        response = client.get(f"/api/records/{record.id}")
        check_against(doc, "/api/records/{record_id}", "get", response)


def bad_values(schema: dict[str, Any]) -> list[str]:
    """Values the documented schema forbids, so the server must refuse them."""
    if schema.get("type") == "array":
        return bad_values(schema["items"])
    values: list[str] = []
    if "enum" in schema:
        values.append("no-such-value")
    if schema.get("type") == "integer":
        values.append("not-a-number")
        if "minimum" in schema:
            values.append(str(schema["minimum"] - 1))
        if "maximum" in schema:
            values.append(str(schema["maximum"] + 1))
    if "pattern" in schema:
        assert not re.search(schema["pattern"], "!")
        values.append("!")
    if "maxLength" in schema:
        values.append("x" * (schema["maxLength"] + 1))
    return values


def good_url(path: str, operation: dict[str, Any], record_id: str) -> str:
    query: list[str] = []
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            value = record_id if param["name"] == "record_id" else param["example"]
            path = path.replace("{" + param["name"] + "}", value)
        elif "example" in param:
            query.append(f"{param['name']}={param['example']}")
    return path + ("?" + "&".join(query) if query else "")


def bad_urls(path: str, operation: dict[str, Any], good: str) -> list[str]:
    base, _, _ = good.partition("?")
    urls = []
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            urls.append(path.replace("{" + param["name"] + "}", "no-such-thing"))
        else:
            urls += [f"{base}?{param['name']}={value}" for value in bad_values(param["schema"])]
    return urls


def test_every_endpoint_answers_good_and_bad_input_in_documented_shapes(
    client: FlaskClient, doc: dict[str, Any], records: dict[str, Record]
) -> None:
    record_id = next(r.id for r in records.values() if r.provenance.source_id == GEO)
    checked = 0
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if operation.get("x-admin"):  # walked with admin access in tests/api/test_admin.py
                continue
            good = good_url(path, operation, record_id)
            response = client.open(good, method=method.upper())
            assert 200 <= response.status_code < 300, (good, response.get_data(as_text=True))
            check_against(doc, path, method, response)

            wrong_method = client.open(good, method="DELETE")
            assert wrong_method.status_code == 405
            check_against(doc, path, method, wrong_method)

            for url in bad_urls(path, operation, good):
                response = client.open(url, method=method.upper())
                assert 400 <= response.status_code < 500, (url, response.status_code)
                check_against(doc, path, method, response)
                checked += 1
    assert checked >= 15  # the walk really exercised the parameters


def _documented_form(rule: str) -> str:
    """Flask's /api/records/<record_id> -> OpenAPI's /api/records/{record_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_route_is_documented_and_every_documented_path_exists(
    app: Flask, doc: dict[str, Any]
) -> None:
    served = {
        (_documented_form(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in IGNORED_METHODS
        # Output protocols (publish/) describe themselves (OGC API: {base}/openapi); the
        # web interface's pages (webui/) are HTML for people, documented in docs/webui.md.
        and not rule.endpoint.startswith(("publish_", "webui_"))
    }
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert served - documented == set(), "served but not in /openapi.json"
    assert documented - served == set(), "in /openapi.json but not served"


def test_docs_api_md_mentions_every_path(doc: dict[str, Any]) -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [
        path for path in doc["paths"] if f"`{path}" not in text and f"GET {path}" not in text
    ]
    assert missing == []


def test_docs_api_md_mentions_every_search_parameter(doc: dict[str, Any]) -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    names = [p["name"] for p in doc["paths"]["/api/search"]["get"]["parameters"]]
    assert [name for name in names if f"`{name}" not in text] == []
