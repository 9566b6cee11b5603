"""Real clients over real HTTP (the app on 127.0.0.1): OWSLib's `Records` (landing,
collections, items with q/bbox/limit through `next` to the end, one record), and Moisson's
own `ogcapi-records` source harvesting the Records API back: every public record returns
with the same title, boxes, dates and links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from owslib.ogcapi.records import Records

from harvester.ogcapi_records import OgcApiRecordsOptions, OgcApiRecordsSource
from indexer.backends import build_backend
from indexer.store import Store
from indexer.themes import load_themer
from moisson.config import Settings
from moisson.record import Record
from pipeline.ingest import Ingestor
from pipeline.runs import RunStatus
from tests.integration.sinks import harvest_with

pytestmark = pytest.mark.integration


def _every_item(client: Records, collection: str, **params: Any) -> list[dict[str, Any]]:
    """Follow `next` the way a client does: OWSLib for the first page, its links after."""
    page = client.collection_items(collection, **params)
    features = list(page["features"])
    while True:
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not nxt:
            return features
        page = httpx.get(nxt[0], timeout=30).json()
        features += page["features"]


def test_owslib_records_reads_the_catalogue(live_url: str) -> None:
    client = Records(f"{live_url}/ogcapi")
    assert client.conformance()["conformsTo"]
    assert "catalogue" in client.records()  # collections whose itemType is record
    collection = client.collection("catalogue")
    assert collection["itemType"] == "record"
    total = httpx.get(f"{live_url}/api/search?size=0").json()["total"]
    features = _every_item(client, "catalogue", limit=7)
    assert len(features) == total and len({f["id"] for f in features}) == total
    found = _every_item(client, "catalogue", q="zones humides", bbox=[-5, 47, -1, 49], limit=2)
    expected = httpx.get(
        f"{live_url}/api/search", params={"q": "zones humides", "bbox": "-5,47,-1,49", "size": 100}
    ).json()
    assert [f["id"] for f in found] == [h["id"] for h in expected["hits"]] and found
    one = client.collection_item("catalogue", found[0]["id"])
    assert one["properties"]["title"] == found[0]["properties"]["title"]
    queryables = client.collection_queryables("catalogue")
    assert "theme" in queryables["properties"]


def _essentials(record: Record) -> tuple[Any, ...]:
    links = sorted((link.url, link.protocol or "WWW:LINK") for link in record.links)
    boxes = sorted(tuple(b.as_list()) for b in record.bboxes)
    return (record.title, boxes, record.created, record.revised, record.temporal, links)


def test_moisson_harvests_its_own_records_api_back(
    live_url: str, sample_store: Store, sample_settings: Settings, tmp_path: Path
) -> None:
    options = OgcApiRecordsOptions(
        id="moisson-again",
        kind="ogcapi-records",
        url=f"{live_url}/ogcapi/collections/catalogue/items",
        page_size=5,
    )
    backend = build_backend(f"sqlite:///{tmp_path / 'index.db'}")
    backend.open()
    try:
        with Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
            ingestor = Ingestor(store, backend, themer=load_themer(sample_settings.themes))
            report = harvest_with(OgcApiRecordsSource, options, ingestor)
            assert report.status is RunStatus.COMPLETE, report.summary()
            again = {r.provenance.original_id: r for r in store.iter_records("moisson-again")}
    finally:
        backend.close()
    published = httpx.get(
        f"{live_url}/ogcapi/collections/catalogue/items", params={"limit": 100}
    ).json()
    ids = [f["id"] for f in published["features"]]
    assert sorted(again) == sorted(ids)
    originals = {r.id: r for r in sample_store.active(ids)}
    for record_id in ids:
        assert _essentials(again[record_id]) == _essentials(originals[record_id]), record_id
        themes = {t.id for t in again[record_id].themes}
        assert {t.id for t in originals[record_id].themes} <= themes  # re-themed by URI
