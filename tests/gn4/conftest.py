"""The catalogue the GN4 facade tests read, on each backend: the bundled samples (CSW, DCAT,
CKAN and OGC API - Records folders) and the ISO records of ../shared/fixtures/csw/records,
the latter restricted to ROLE_STAFF, harvested by the real conductor and served by the real
app with three facade mounts: the default one, one fixed to the sample CSW source and one
fixed to the company theme `water`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moisson.config import Settings
from pipeline.harvest import harvest_source
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.opensearch_support import drop_alias, fresh_alias
from tests.conftest import OPENSEARCH_TEST_URL, ROOT, SHARED_FIXTURES, require

API = "/geonetwork/srv/api"
AGENCY = "/agency/geonetwork/srv/api"
WATER = "/water/geonetwork/srv/api"
STAFF = "ROLE_STAFF"
REQUESTS = SHARED_FIXTURES / "datahub" / "requests"
SAMPLES = ROOT / "samples"


def recorded(prefix: str) -> dict[str, Any]:
    """The recorded request file starting with `prefix` (e.g. '02')."""
    require(REQUESTS.is_dir(), f"no datahub recordings in {REQUESTS}")
    path = next(REQUESTS.glob(f"{prefix}-*.json"))
    found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return found


def recorded_body(prefix: str) -> dict[str, Any]:
    body: dict[str, Any] = recorded(prefix)["request"]["body"]
    return body


def _settings(tmp: Path, index_url: str | None) -> Settings:
    sources: list[dict[str, Any]] = [
        {"id": "sample-csw", "kind": "csw", "url": (SAMPLES / "csw").as_uri()},
        {"id": "sample-dcat", "kind": "dcat", "url": (SAMPLES / "dcat").as_uri()},
        {"id": "sample-ckan", "kind": "ckan", "url": (SAMPLES / "ckan").as_uri()},
        {"id": "sample-ogcapi", "kind": "ogcapi-records", "url": (SAMPLES / "ogcapi").as_uri()},
    ]
    records = SHARED_FIXTURES / "csw" / "records"
    if records.is_dir():
        sources.append(
            {
                "id": "fixture-records",
                "kind": "csw",
                "url": records.as_uri(),
                "access": {"public": False, "roles": [STAFF]},
            }
        )
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp / 'store.db'}"},
            "index": {"url": index_url or f"sqlite:///{tmp / 'index.db'}"},
            "harvest": {"allow_files": True, "rate_limit": 0},
            "api": {"anonymous_rate_limit": 0},
            "auth": {"mode": "georchestra", "trusted_proxies": ["127.0.0.1"]},
            "sources": sources,
            "gn4": [
                {},
                {"prefix": AGENCY, "filters": {"source": ["sample-csw"]}},
                {"prefix": WATER, "filters": {"theme": ["water"]}},
            ],
        }
    )


@pytest.fixture(scope="session", params=["sqlite", "opensearch"])
def gn4_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    alias = None
    index_url = None
    if request.param == "opensearch":
        require(bool(OPENSEARCH_TEST_URL), "no OpenSearch node: set OPENSEARCH_TEST_URL")
        alias = fresh_alias("gn4")
        index_url = f"{OPENSEARCH_TEST_URL}/{alias}"
    settings = _settings(tmp_path_factory.mktemp(f"gn4-{request.param}"), index_url)
    try:
        with Runtime(settings) as runtime:
            for source in settings.sources:
                harvest_source(runtime, source)
            yield create_app(runtime)
    finally:
        if alias is not None:
            drop_alias(OPENSEARCH_TEST_URL, alias)


@pytest.fixture
def client(gn4_app: Flask) -> FlaskClient:
    return gn4_app.test_client()
