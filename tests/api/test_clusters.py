"""GET /api/records/<id>/cluster and the /api/admin/clusters decisions, on the API test
catalogue plus a republished copy, clustered by the real ClusterStore in the same store."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from indexer.cluster_store import ClusterStore
from indexer.store import Store
from moisson.config import Settings
from moisson.record import Harvested, Record
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.api.conftest import GEO, assert_error, check_against, raw_xml

PORTAL = "portal"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The API test sources plus the portal (records of unconfigured sources are admin-only)."""
    data = settings.model_dump(mode="python")
    data["sources"].append({"id": PORTAL, "kind": "csw", "url": "https://portal.example.org/csw"})
    return Settings.model_validate(data)


@pytest.fixture
def copies(store: Store, records: dict[str, Record]) -> dict[str, Record]:
    """The national portal republishes 'Zones humides de Bretagne' with its own id and
    casing; the clusters are then built from the store as `moisson duplicates --rebuild`
    would."""
    original = records["zh-bzh"]
    copy = Record.new(
        PORTAL,
        "portal-zh",
        title=original.title.upper(),
        abstract=original.abstract,
        keywords=original.keywords,
        bboxes=original.bboxes,
        lineage="Moissonné depuis le géoportail régional.",
    )
    run = store.begin_run(PORTAL)
    store.write_page(
        run, PORTAL, [Harvested(original_id="portal-zh", raw=raw_xml(copy), record=copy)]
    )
    store.finish_run(run, status="complete", complete=True)
    ClusterStore(store).open().rebuild(store.iter_records())
    return {"original": original, "copy": copy}


@pytest.fixture
def admin(settings: Settings, store: Store, backend: Any, copies: dict[str, Record]) -> FlaskClient:
    data = settings.model_dump(mode="python")
    data["api"]["admin_open"] = True
    data["duplicates"]["source_priority"] = [GEO]
    return create_app(
        Runtime(Settings.model_validate(data), store=store, backend=backend)
    ).test_client()


@pytest.fixture
def doc(admin: FlaskClient) -> dict[str, Any]:
    body: dict[str, Any] = admin.get("/openapi.json").get_json()
    return body


def test_a_record_shows_its_cluster_with_provenance_and_evidence(
    admin: FlaskClient, doc: dict[str, Any], copies: dict[str, Record]
) -> None:
    original, copy = copies["original"], copies["copy"]
    response = admin.get(f"/api/records/{copy.id}/cluster")
    check_against(doc, "/api/records/{record_id}/cluster", "get", response)
    body = response.get_json()

    cluster = body["cluster"]
    assert cluster["id"] == min(original.id, copy.id)
    assert cluster["canonical"] == original.id  # source priority: geo first
    members = {m["id"]: m for m in cluster["members"]}
    assert set(members) == {original.id, copy.id}
    assert members[copy.id]["provenance"]["source_id"] == PORTAL
    assert members[copy.id]["provenance"]["original_id"] == "portal-zh"
    assert members[copy.id]["provenance"]["harvest_run"] is not None
    assert members[copy.id]["provenance"]["first_seen"].endswith("Z")
    assert members[copy.id]["lineage"] == "Moissonné depuis le géoportail régional."
    assert [(e["kind"], e["detail"]) for e in cluster["evidence"]] == [
        ("similar", "text 1.00, title 1.00")
    ]


def test_a_record_alone_has_no_cluster_and_an_unknown_one_is_404(
    admin: FlaskClient, records: dict[str, Record]
) -> None:
    alone = records["meteo"].id
    assert admin.get(f"/api/records/{alone}/cluster").get_json() == {
        "record_id": alone,
        "cluster": None,
        "related": [],
    }
    assert_error(admin.get("/api/records/nope/cluster"), 404)


def test_records_of_one_source_sharing_a_layer_are_not_clustered(
    admin: FlaskClient, records: dict[str, Record]
) -> None:
    """'zh-bzh' and 'corine' both carry the WMS layer 'zh' of geo: within one source a
    shared layer is boilerplate, not identity."""
    assert admin.get(f"/api/records/{records['corine'].id}/cluster").get_json()["cluster"] is None
    listed = admin.get("/api/admin/clusters").get_json()["clusters"]
    assert len(listed) == 1 and len(listed[0]["members"]) == 2


def test_pin_then_split_are_kept_and_answer_in_documented_shapes(
    admin: FlaskClient, doc: dict[str, Any], copies: dict[str, Record], store: Store
) -> None:
    original, copy = copies["original"], copies["copy"]
    cluster_id = min(original.id, copy.id)

    pinned = admin.post(f"/api/admin/clusters/{cluster_id}/pin", json={"record_id": copy.id})
    check_against(doc, "/api/admin/clusters/{cluster_id}/pin", "post", pinned)
    assert pinned.get_json()["cluster"]["canonical"] == copy.id

    split = admin.post(f"/api/admin/clusters/{cluster_id}/split", json={"record_ids": [copy.id]})
    check_against(doc, "/api/admin/clusters/{cluster_id}/split", "post", split)
    assert split.get_json() == {"clusters": []}
    assert admin.get(f"/api/records/{copy.id}/cluster").get_json()["cluster"] is None

    ClusterStore(store).open().update([store.get(copy.id)])  # the copy is harvested again
    assert admin.get(f"/api/records/{copy.id}/cluster").get_json()["cluster"] is None


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/admin/clusters/nope/pin", {"record_id": "x"}, 404),
        ("/api/admin/clusters/{cid}/pin", {"record_id": "not-a-member"}, 400),
        ("/api/admin/clusters/{cid}/pin", ["not", "an", "object"], 400),
        ("/api/admin/clusters/{cid}/split", {"record_ids": []}, 400),
        ("/api/admin/clusters/{cid}/split", {"record_ids": "{all}"}, 400),
    ],
)
def test_bad_decisions_are_refused(
    admin: FlaskClient,
    doc: dict[str, Any],
    copies: dict[str, Record],
    path: str,
    body: Any,
    status: int,
) -> None:
    members = sorted([copies["original"].id, copies["copy"].id])
    if body == {"record_ids": "{all}"}:
        body = {"record_ids": members}
    response = admin.post(path.replace("{cid}", members[0]), json=body)
    assert_error(response, status)
    documented = path.replace("nope", "{cluster_id}").replace("{cid}", "{cluster_id}")
    check_against(doc, documented, "post", response)


def test_cluster_admin_needs_the_admin_token(
    settings: Settings, store: Store, backend: Any, copies: dict[str, Record]
) -> None:
    client = create_app(Runtime(settings, store=store, backend=backend)).test_client()
    assert_error(client.get("/api/admin/clusters"), 403)
    assert client.get(f"/api/records/{copies['copy'].id}/cluster").status_code == 200
