"""Harvest a real pygeoapi OGC API - Records server through its `rel=next` links.

pygeoapi (TinyDBCatalogue provider) serves the records of the recorded pygeoapi demo items
page in ../shared/fixtures/ogcapi, read at test time. The page size is smaller than the
record count and does not divide it, so the run follows pygeoapi's own next links over
several pages (see pygeoapi_server.py for why a divisor would add an empty last page).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from harvester.ogcapi_records import OgcApiRecordsOptions, OgcApiRecordsSource
from moisson.record import Outcome, Query
from pipeline.ingest import Ingestor
from pipeline.runs import RunReport, RunStatus
from testkit.pygeoapi_server import (
    PygeoapiError,
    PygeoapiServer,
    ensure_pygeoapi_venv,
)
from tests.conftest import require
from tests.integration.sinks import harvest_with

pytestmark = pytest.mark.integration

SOURCE = "pygeoapi"
PAGE_SIZE = 3


@pytest.fixture(scope="session")
def record_features(shared_fixtures: Path) -> list[dict[str, Any]]:
    """Every record feature of the OGC API - Records fixtures, once per id."""
    features: dict[str, dict[str, Any]] = {}
    for path in sorted((shared_fixtures / "ogcapi").rglob("*.json")):
        body = json.loads(path.read_bytes())
        if body.get("type") == "Feature":
            features.setdefault(body["id"], body)
        elif body.get("type") == "FeatureCollection":
            for feature in body["features"]:
                features.setdefault(feature["id"], feature)
    require(len(features) > PAGE_SIZE, f"too few OGC API records under {shared_fixtures}/ogcapi")
    return list(features.values())


@pytest.fixture(scope="session")
def pygeoapi(record_features: list[dict[str, Any]]) -> Iterator[PygeoapiServer]:
    try:
        ensure_pygeoapi_venv()
    except PygeoapiError as exc:  # no network on a first run: skip locally, fail under CI
        require(False, f"cannot install pygeoapi: {exc}")
    with PygeoapiServer(record_features) as server:
        yield server


def harvest(server: PygeoapiServer, ingestor: Ingestor) -> RunReport:
    options = OgcApiRecordsOptions(
        id=SOURCE, kind="ogcapi-records", url=server.collection_url, page_size=PAGE_SIZE
    )
    return harvest_with(OgcApiRecordsSource, options, ingestor)


def test_every_record_arrives_through_next_links(
    pygeoapi: PygeoapiServer, record_features: list[dict[str, Any]], ingestor: Ingestor
) -> None:
    served = {feature["id"] for feature in record_features}
    assert len(served) % PAGE_SIZE, "a page size dividing the count adds an empty page"
    pages = -(-len(served) // PAGE_SIZE)
    already = len(pygeoapi.item_requests())

    report = harvest(pygeoapi, ingestor)

    assert report.status is RunStatus.COMPLETE, f"{report.summary()}\n{pygeoapi.server_log()}"
    assert (report.pages, report.declared_total) == (pages, len(served))
    assert report.outcomes == Counter({Outcome.NEW: len(served)})
    asked = [parse_qs(r["query"]) for r in pygeoapi.item_requests()[already:]]
    assert [q.get("offset", ["0"])[0] for q in asked] == [str(n * PAGE_SIZE) for n in range(pages)]
    assert all(q["limit"] == [str(PAGE_SIZE)] for q in asked)

    stored = {r.id: r.provenance.original_id for r in ingestor.store.iter_records(SOURCE)}
    assert set(stored.values()) == served
    found = ingestor.backend.search(Query(size=100, collapse=False))
    assert found.total == len(served)
    assert {hit.id for hit in found.hits} == set(stored)


def test_a_second_harvest_writes_nothing(
    pygeoapi: PygeoapiServer, record_features: list[dict[str, Any]], ingestor: Ingestor
) -> None:
    first = harvest(pygeoapi, ingestor)
    assert first.status is RunStatus.COMPLETE, first.summary()

    second = harvest(pygeoapi, ingestor)

    assert second.status is RunStatus.COMPLETE, second.summary()
    assert second.outcomes == Counter({Outcome.UNCHANGED: len(record_features)})
    assert ingestor.store.count(SOURCE) == len(record_features)
    assert ingestor.backend.count() == len(record_features)
