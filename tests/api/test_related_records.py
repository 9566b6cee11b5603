"""Related-but-distinct records (issue 18) in GET /api/records/<id>/cluster: two editions
linking one multi-year WMS layer are shown as related records, never merged into a
cluster."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from indexer.cluster_store import ClusterStore
from indexer.store import Store
from moisson.config import Settings
from moisson.record import BBox, Harvested, Link, Record
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.api.conftest import GEO, check_against, raw_xml

PORTAL = "portal"
LAYER = Link(url="https://geo.example.org/wms", protocol="OGC:WMS", name="haies")


def _write(store: Store, source: str, record: Record) -> None:
    run = store.begin_run(source)
    original = record.provenance.original_id
    store.write_page(
        run, source, [Harvested(original_id=original, raw=raw_xml(record), record=record)]
    )
    store.finish_run(run, status="complete", complete=True)


@pytest.fixture
def editions(store: Store, records: dict[str, Record]) -> dict[str, Record]:
    def edition(source: str, year: str) -> Record:
        return Record.new(
            source,
            f"haies-{year}",
            title=f"Haies bocagères du Finistère {year}",
            abstract="Linéaire de haies relevé par photo-interprétation.",
            bboxes=[BBox(west=-5.2, south=47.7, east=-3.4, north=48.8)],
            links=[LAYER],
        )

    found = {"2016": edition(GEO, "2016"), "2023": edition(PORTAL, "2023")}
    _write(store, GEO, found["2016"])
    _write(store, PORTAL, found["2023"])
    ClusterStore(store).open().rebuild(store.iter_records())
    return found


@pytest.fixture
def admin(
    settings: Settings, store: Store, backend: Any, editions: dict[str, Record]
) -> FlaskClient:
    data = settings.model_dump(mode="python")
    data["sources"].append({"id": PORTAL, "kind": "csw", "url": "https://portal.example.org/csw"})
    data["api"]["admin_open"] = True
    settings = Settings.model_validate(data)
    return create_app(Runtime(settings, store=store, backend=backend)).test_client()


def test_two_editions_sharing_a_layer_are_related_records_not_a_cluster(
    admin: FlaskClient, editions: dict[str, Record]
) -> None:
    old, new = editions["2016"], editions["2023"]
    doc = admin.get("/openapi.json").get_json()
    response = admin.get(f"/api/records/{old.id}/cluster")
    check_against(doc, "/api/records/{record_id}/cluster", "get", response)
    body = response.get_json()

    assert body["cluster"] is None
    [related] = body["related"]
    assert (related["id"], related["related_to"], related["title"]) == (
        new.id,
        old.id,
        "Haies bocagères du Finistère 2023",
    )
    assert related["provenance"]["source_id"] == PORTAL
    assert related["detail"] == (
        "share layer:OGC:WMS|geo.example.org/wms|haies but titles name 2016 / 2023"
    )
    assert admin.get(f"/api/records/{new.id}/cluster").get_json()["related"][0]["id"] == old.id
