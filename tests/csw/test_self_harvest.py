"""Moisson harvesting Moisson: the `csw` source reads this catalogue's own CSW endpoint, in
ISO 19139 and in Dublin Core mode, and must get back every public record (what an
anonymous /api/search shows), paging with a small page size."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest

from harvester.base import SourceContext
from harvester.csw import CswOptions, CswSource
from harvester.http import HttpClient
from indexer.backends import build_backend
from indexer.store import Store
from moisson.config import HarvestSettings
from moisson.record import Outcome
from pipeline.ingest import Ingestor
from pipeline.runs import RunStatus, run_source
from tests.csw.catalogue import Served

pytestmark = pytest.mark.integration


def _public_ids(csw: Served) -> set[str]:
    base = csw.url.rsplit("/csw", 1)[0]
    store = Store(csw.settings.store.url).open()
    try:
        body = httpx.get(f"{base}/api/search", params={"size": 100}).json()
        assert body["total"] <= 100
        return {store.get(hit["id"]).provenance.original_id for hit in body["hits"]}
    finally:
        store.close()


@pytest.mark.parametrize("schema", ["iso19139", "dc", "auto"])
def test_every_public_record_comes_back(csw: Served, tmp_path: Path, schema: str) -> None:
    expected = _public_ids(csw)
    store = Store(f"sqlite:///{tmp_path / 'store.db'}").open()
    backend = build_backend(f"sqlite:///{tmp_path / 'index.db'}")
    backend.open()
    try:
        ingestor = Ingestor(store, backend)
        options = CswOptions(
            id="moisson", kind="csw", url=csw.url, page_size=4, output_schema=schema
        )
        settings = HarvestSettings(rate_limit=0, allowed_hosts=["127.0.0.1"])
        with HttpClient(settings) as http:
            source = CswSource(options, SourceContext.with_http(http))
            report = run_source(source, "moisson", ingestor)
        print(report.summary())
        assert report.status is RunStatus.COMPLETE, report.summary()
        assert report.declared_total == len(expected)
        assert report.outcomes == Counter({Outcome.NEW: len(expected)})
        harvested = {r.provenance.original_id for r in store.iter_records("moisson")}
        assert harvested == expected
    finally:
        backend.close()
        store.close()
