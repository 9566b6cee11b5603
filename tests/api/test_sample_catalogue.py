"""The API over a really harvested catalogue: samples/csw (ISO 19139 files) through the CSW
source, the run bookkeeping and the ingest sink, then every record served and checked
against /openapi.json. Hand-built records (conftest.py) pin exact counts; these catch what
real metadata brings (missing dates, odd links, long abstracts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from harvester.base import SourceContext
from harvester.csw import CswSource
from harvester.http import HttpClient
from indexer.backends import build_backend
from indexer.store import Store
from moisson.config import IndexSettings, Settings, StoreSettings
from pipeline.ingest import Ingestor
from pipeline.runs import RunStatus, run_source
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.api.conftest import check_against
from tests.conftest import require

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "csw"
SOURCE = "sample-csw"


@pytest.fixture
def sample_client(tmp_path: Path) -> Iterator[FlaskClient]:
    require(SAMPLES.is_dir() and any(SAMPLES.glob("*.xml")), f"no sample catalogue in {SAMPLES}")
    settings = Settings(
        store=StoreSettings(url=f"sqlite:///{tmp_path / 'store.db'}"),
        index=IndexSettings(url=f"sqlite:///{tmp_path / 'index.db'}"),
        sources=[{"id": SOURCE, "kind": "csw", "url": SAMPLES.as_uri(), "name": "Samples"}],
    )
    backend = build_backend(settings.index.url)
    with Store(settings.store.url) as store, HttpClient(settings.harvest) as http:
        backend.open()
        try:
            source = CswSource(settings.source(SOURCE), SourceContext.with_http(http))
            report = run_source(source, SOURCE, Ingestor(store, backend))
            assert report.status is RunStatus.COMPLETE, report.summary()
            yield create_app(Runtime(settings, store=store, backend=backend)).test_client()
        finally:
            backend.close()


def _json(client: FlaskClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def test_every_harvested_record_is_served_as_documented(sample_client: FlaskClient) -> None:
    doc = _json(sample_client, "/openapi.json")
    sources = _json(sample_client, "/api/sources")["sources"]
    count = sources[0]["records"]
    assert count == len(list(SAMPLES.glob("*.xml")))  # one record per sample file
    search = sample_client.get("/api/search?size=100")
    check_against(doc, "/api/search", "get", search)
    hits = search.get_json()["hits"]
    assert len(hits) == count
    for hit in hits:
        record = sample_client.get(f"/api/records/{hit['id']}")
        check_against(doc, "/api/records/{record_id}", "get", record)
        raw = sample_client.get(f"/api/records/{hit['id']}?raw=1")
        assert raw.status_code == 200 and raw.data.lstrip().startswith(b"<")


def test_keyword_bucket_counts_equal_filtered_totals(sample_client: FlaskClient) -> None:
    body = _json(sample_client, "/api/search?q=camargue&size=0&facet_size=5")
    assert body["total"] > 0
    for facet in ("keyword", "organisation", "year"):
        for bucket in body["facets"].get(facet, []):
            toggled = _json(sample_client, bucket["toggle"])
            assert toggled["total"] == bucket["count"], (facet, bucket["value"])
