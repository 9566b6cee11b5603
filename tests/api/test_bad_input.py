"""Bad input is the user's to fix: always a 400 (or 404) in the one error shape, with a
message that says what is wrong, and never a 500."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import ApiSettings, Settings
from moisson.errors import BadQuery
from pipeline.runtime import Runtime
from search_api.app import create_app
from search_api.params import parse_search_args
from tests.api.conftest import assert_error


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/api/search?sise=50", "unknown parameter 'sise'; valid parameters: q, page, size"),
        ("/api/search?bbox=1,2,3", "bbox must be 4 comma-separated numbers"),
        ("/api/search?bbox=a,b,c,d", "bbox minx must be a decimal number, got 'a'"),
        ("/api/search?bbox=0,10,10,0", "bbox miny (10) must not be greater than maxy (0)"),
        ("/api/search?bbox=0,10,10,0", "bbox miny (10) must not be greater than maxy (0)"),
        ("/api/search?bbox=0,0,200,10", "bbox maxx must be between -180 and 180"),
        ("/api/search?bbox=0,-95,10,10", "bbox miny must be between -90 and 90"),
        ("/api/search?bbox=nan,0,1,1", "bbox minx must be a decimal number"),
        ("/api/search?bbox=inf,0,1,1", "bbox minx must be a decimal number"),
        ("/api/search?bbox=" + "9" * 400 + ",0,1,1", "bbox minx must be a finite number"),
        ("/api/search?page=two", "page must be a whole number, got 'two'"),
        ("/api/search?page=0", "page must be between 1 and"),
        ("/api/search?page=1&page=2", "parameter 'page' given 2 times"),
        ("/api/search?size=101", "size must be between 0 and 100, got 101"),
        ("/api/search?size=-1", "size must be between 0 and 100"),
        ("/api/search?from=2020-13-01", "from is not a real date"),
        ("/api/search?from=yesterday", "from must be a date as YYYY or YYYY-MM-DD"),
        ("/api/search?to=2020-1-1", "to must be a date as YYYY or YYYY-MM-DD"),
        ("/api/search?from=2021&to=2020", "from (2021) must not be later than to (2020)"),
        ("/api/search?sort=size", "sort must be one of relevance, date, title"),
        ("/api/search?lang=French", "lang must be a 2 or 3 letter"),
        ("/api/search?facet_size=0", "facet_size must be between 1 and 200"),
        ("/api/search?year=20", "year must be a four-digit year"),
        ("/api/search?q=" + "x" * 1001, "q is longer than 1000 characters"),
        ("/api/records/x?raw=yes", "raw must be one of 1, true, 0, false"),
        ("/api/records/x?full=1", "unknown parameter 'full'"),
    ],
)
def test_bad_input_is_a_400_saying_what_is_wrong(
    client: FlaskClient, url: str, expected: str
) -> None:
    assert_error(client.get(url), 400, contains=expected)


def test_unknown_parameters_are_all_named(client: FlaskClient) -> None:
    message = assert_error(client.get("/api/search?foo=1&bar=2"), 400)
    assert message.startswith("unknown parameters 'bar', 'foo';")


def test_error_type_names_the_error(client: FlaskClient) -> None:
    assert client.get("/api/search?page=x").get_json()["error"]["type"] == "BadQuery"


def test_size_limit_follows_the_settings(settings: Settings) -> None:
    small = settings.model_copy(update={"api": ApiSettings(max_page_size=10)})
    assert parse_search_args({"size": ["10"]}, small).size == 10
    with pytest.raises(BadQuery, match="size must be between 0 and 10, got 11"):
        parse_search_args({"size": ["11"]}, small)


def test_a_larger_configured_size_is_capped_by_the_query_model(settings: Settings) -> None:
    large = settings.model_copy(update={"api": ApiSettings(max_page_size=500)})
    with pytest.raises(BadQuery, match="size must be between 0 and 100"):
        parse_search_args({"size": ["200"]}, large)


def test_unknown_record_is_a_404(client: FlaskClient) -> None:
    assert_error(client.get("/api/records/no-such-id"), 404, contains="no record with id")


def test_unknown_route_is_a_404(client: FlaskClient) -> None:
    message = assert_error(client.get("/api/nothing-here"), 404)
    assert "/openapi.json" in message


def test_wrong_method_is_a_405_with_allow(client: FlaskClient) -> None:
    response = client.post("/api/search")
    assert_error(response, 405)
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_failure_is_a_generic_500_and_is_logged(
    settings: Settings,
    store: Store,
    backend: SearchBackend,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(Runtime(settings, store=store, backend=backend))

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom")
    message = assert_error(response, 500)
    assert message == "internal error; the server logged the details"
    assert response.get_json()["error"]["type"] == "InternalError"
    assert "secret" not in response.get_data(as_text=True)
    assert "secret internal detail" in caplog.text
    assert "Traceback" in caplog.text
