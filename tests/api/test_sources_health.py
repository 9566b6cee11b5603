"""GET /api/sources and GET /healthz."""

from __future__ import annotations

from flask.testing import FlaskClient

from indexer.store import Store
from tests.api.conftest import GEO, OPEN


def test_sources_lists_configured_sources_with_counts_and_last_run(
    client: FlaskClient, store: Store
) -> None:
    response = client.get("/api/sources")
    assert response.status_code == 200
    listed = {s["id"]: s for s in response.get_json()["sources"]}
    assert list(listed) == [GEO, OPEN, "empty"]
    geo = listed[GEO]
    run = store.runs(GEO, limit=1)[0]
    assert {k: v for k, v in geo.items() if k != "last_run"} == {
        "id": GEO,
        "kind": "csw",
        "name": "GéoPortail",
        "url": "https://geo.example.org/csw",
        "enabled": True,
        "records": 3,
    }
    last = geo["last_run"]
    assert last["id"] == run.id
    assert last["status"] == "complete" and last["complete"] is True
    assert (last["seen"], last["new"], last["updated"], last["quarantined"]) == (3, 3, 0, 0)
    assert last["declared_total"] == 3
    assert last["started"].endswith("Z")


def test_a_source_without_name_or_runs(client: FlaskClient) -> None:
    listed = {s["id"]: s for s in client.get("/api/sources").get_json()["sources"]}
    assert listed["empty"]["name"] == "empty"
    assert listed["empty"]["records"] == 0
    assert listed["empty"]["last_run"] is None


def test_healthz_reports_ok_and_the_indexed_count(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "records": 6}
