"""The API on the scale-out stack (PostgreSQL store + OpenSearch index) answers exactly as on
the embedded one: the same JSON for the same requests, harvested into both the same way.
Relevance-sorted hits are compared as sets (the two backends' BM25 scores differ in detail).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from moisson.config import IndexSettings, Settings, StoreSettings
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.opensearch_support import drop_alias, fresh_alias
from tests.api.conftest import GEO, OPEN


@pytest.fixture
def scaled_settings(
    settings: Settings, postgres_url: str, opensearch_url: str
) -> Iterator[Settings]:
    alias = fresh_alias("api")
    try:
        yield settings.model_copy(
            update={
                "store": StoreSettings(url=postgres_url),
                "index": IndexSettings(url=f"{opensearch_url}/{alias}"),
            }
        )
    finally:
        drop_alias(opensearch_url, alias)


@pytest.fixture
def scaled(scaled_settings: Settings) -> Iterator[FlaskClient]:
    """An app on PostgreSQL + OpenSearch holding the same harvest as the default `client`."""
    from indexer.backends import build_backend
    from indexer.store import Store
    from tests.api import conftest

    backend = build_backend(scaled_settings.index.url)
    backend.open()
    try:
        with Store(scaled_settings.store.url) as store:
            # The same harvest as the `records` fixture, into this store and index.
            conftest.records.__wrapped__(store, backend)  # type: ignore[attr-defined]
            yield create_app(Runtime(scaled_settings, store=store, backend=backend)).test_client()
    finally:
        backend.close()


URLS = [
    "/api/search",
    "/api/search?q=eau",
    "/api/search?q=zones+humides&sort=date",
    f"/api/search?source={GEO}&sort=title&facet_size=2",
    f"/api/search?source={OPEN}&format=CSV&page=2&size=1&sort=title",
    "/api/search?bbox=-5,47,-1,49&from=2015-01-01&sort=date",
    "/api/search?q=%22zones+humides%22&advanced=1&sort=title",
    "/api/search?q=foret&lang=en",
    "/api/search?colour=red",
    "/api/search?q=forêt+AND+(&advanced=1",
    "/api/sources",
    "/healthz",
]


CLOCK = {"started", "ended", "heartbeat", "first_seen", "last_seen", "updated", "at"}


def without_clock(value: Any) -> Any:
    """`value` without the times the two harvests were made at."""
    if isinstance(value, dict):
        return {k: without_clock(v) for k, v in value.items() if k not in CLOCK}
    if isinstance(value, list):
        return [without_clock(v) for v in value]
    return value


def comparable(body: Any, url: str) -> Any:
    body = without_clock(body)
    if isinstance(body, dict) and isinstance(body.get("hits"), list):
        hits = [{k: v for k, v in hit.items() if k != "score"} for hit in body["hits"]]
        if "sort=" not in url and "q=" in url:
            hits = sorted(hits, key=lambda hit: hit["id"])
        body = {**body, "hits": hits}
    return body


@pytest.mark.parametrize("url", URLS)
def test_the_api_answers_the_same_on_both_stacks(
    client: FlaskClient, scaled: FlaskClient, url: str
) -> None:
    embedded, on_scale = client.get(url), scaled.get(url)
    assert on_scale.status_code == embedded.status_code, on_scale.get_data(as_text=True)
    assert comparable(on_scale.get_json(), url) == comparable(embedded.get_json(), url)
