"""/api/admin and /api/stats on the real app, real SQLite store and index, and real CSW
servers on 127.0.0.1 for the harvests the API triggers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from pydantic import SecretStr

from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import Settings
from moisson.record import Harvested, Record, Theme
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.http_replay import ReplayServer
from tests.api.conftest import GEO, assert_error, check_against
from tests.integration.csw_fault_server import CswCatalogue

LIVE = "live"
IDS = [f"rec-{n:02d}" for n in range(1, 21)]
TOKEN = "s3cret-admin-token"


def with_api(settings: Settings, **api: Any) -> Settings:
    return settings.model_copy(update={"api": settings.api.model_copy(update=api)})


@pytest.fixture
def catalogue() -> Iterator[tuple[CswCatalogue, str]]:
    catalogue = CswCatalogue(list(IDS), invalid={"rec-05"})
    with ReplayServer(catalogue) as server:
        yield catalogue, server.url


@pytest.fixture
def live_settings(settings: Settings, catalogue: tuple[CswCatalogue, str]) -> Settings:
    """The test catalogue plus a live CSW source; fast retries."""
    live = {
        "id": LIVE,
        "kind": "csw",
        "url": catalogue[1],
        "page_size": 5,
        "output_schema": "iso19139",
        "incremental": False,
    }
    data = settings.model_dump(mode="python")
    data["sources"] = [s.model_dump() for s in settings.sources] + [live]
    data["harvest"].update(rate_limit=0, backoff_base=0.01, retries=1, allowed_hosts=["127.0.0.1"])
    data["retirement"].update(grace_runs=1)
    return Settings.model_validate(data)


@pytest.fixture
def admin(
    live_settings: Settings, store: Store, backend: SearchBackend, records: dict[str, Record]
) -> FlaskClient:
    """The live settings with admin open."""
    opened = with_api(live_settings, admin_open=True)
    return create_app(Runtime(opened, store=store, backend=backend)).test_client()


@pytest.fixture
def doc(admin: FlaskClient) -> dict[str, Any]:
    body: dict[str, Any] = admin.get("/openapi.json").get_json()
    return body


def records_of(source_id: str, store: Store) -> list[str]:
    """Ids of the source's records still active (not retired)."""
    ids = [r.id for r in store.iter_records(source_id)]
    return [r.id for r in store.active(ids)]


def harvest(client: FlaskClient, **args: str) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in {"wait": "1", **args}.items())
    response = client.post(f"/api/admin/sources/{LIVE}/harvest?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


# -- access ----------------------------------------------------------------------------------


def test_admin_is_closed_by_default(client: FlaskClient) -> None:
    assert_error(client.get("/api/admin/runs"), 403, contains="MOISSON_API__ADMIN_TOKEN")
    assert_error(client.post(f"/api/admin/sources/{GEO}/harvest"), 403)


def test_admin_token_is_required_and_checked(
    settings: Settings, store: Store, backend: SearchBackend
) -> None:
    app = create_app(
        Runtime(with_api(settings, admin_token=SecretStr(TOKEN)), store=store, backend=backend)
    )
    client = app.test_client()
    assert_error(client.get("/api/admin/runs"), 401)
    assert_error(client.get("/api/admin/runs", headers={"Authorization": "Bearer nope"}), 401)
    assert_error(client.get("/api/admin/runs", headers={"Authorization": TOKEN}), 401)
    ok = client.get("/api/admin/runs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200


def test_admin_operations_are_documented_and_answer_in_documented_shapes(
    admin: FlaskClient, doc: dict[str, Any], records: dict[str, Record]
) -> None:
    record_id = next(iter(records.values())).id
    operations = [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if op.get("x-admin")
        and "themes" not in op["tags"]  # tests/api/test_themes.py
        and "clusters" not in op["tags"]  # tests/api/test_clusters.py
    ]
    assert len(operations) == 9
    for path, method, op in operations:
        assert op["security"] == [{"adminToken": []}]
        url = path.replace("{record_id}", record_id).replace("{source_id}", "nope")
        url = url.replace("{review_id}", "999").replace("{entry_id}", "999")
        response = admin.open(url, method=method.upper())
        expected = 200 if method == "get" and "{entry_id}" not in path else 404
        assert response.status_code == expected, (url, response.get_data(as_text=True))
        check_against(doc, path, method, response)
        bad = admin.open(url + "?nope=1", method=method.upper())
        assert bad.status_code in (400, 404), url
        check_against(doc, path, method, bad)


# -- harvest, quarantine, runs, stats --------------------------------------------------------


def test_a_harvest_triggered_by_an_admin_runs_and_is_reported(
    admin: FlaskClient, doc: dict[str, Any]
) -> None:
    body = harvest(admin)
    assert body["run"]["status"] == "complete"
    assert (body["run"]["seen"], body["run"]["new"], body["run"]["quarantined"]) == (20, 19, 1)

    [entry] = admin.get(f"/api/admin/quarantine?source={LIVE}").get_json()["quarantine"]
    assert (entry["original_id"], entry["reason"]) == (
        "rec-05",
        "no title in ISO 19139 record 'rec-05'",
    )
    raw = admin.get(entry["raw_url"])
    assert raw.status_code == 200 and b"rec-05" in raw.data

    [run] = admin.get(f"/api/admin/runs?source={LIVE}").get_json()["runs"]
    assert (run["id"], run["source_id"], run["log"]) == (body["run"]["id"], LIVE, [])

    stats = admin.get("/api/stats?days=7")
    check_against(doc, "/api/stats", "get", stats)
    live = next(s for s in stats.get_json()["sources"] if s["id"] == LIVE)
    assert (live["records"], live["indexed"], live["quarantined"]) == (19, 19, 1)
    assert live["last_run"]["status"] == "complete" and live["duration"] >= 0
    today = stats.get_json()["days"][-1]
    assert today["runs"] == 3 and today["records_seen"] == 26  # + the two fixture runs
    assert len(stats.get_json()["days"]) == 7


def test_a_background_harvest_refuses_a_second_one_of_the_same_source(
    admin: FlaskClient, catalogue: tuple[CswCatalogue, str]
) -> None:
    catalogue[0].delay = 0.3  # 4 pages: over a second
    started = admin.post(f"/api/admin/sources/{LIVE}/harvest")
    assert started.status_code == 202
    assert_error(admin.post(f"/api/admin/sources/{LIVE}/harvest"), 409, contains="already")
    deadline = time.monotonic() + 30
    while True:
        runs = admin.get(f"/api/admin/runs?source={LIVE}").get_json()["runs"]
        if runs and runs[0]["status"] != "running":
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert runs[0]["status"] == "complete" and len(runs) == 1


def test_held_retirements_wait_for_an_admin(
    admin: FlaskClient,
    catalogue: tuple[CswCatalogue, str],
    live_settings: Settings,
    store: Store,
    backend: SearchBackend,
) -> None:
    harvest(admin)
    catalogue[0].ids = IDS[:2]  # the source suddenly lists a tenth of its records
    held = harvest(admin)
    assert held["retirement"]["verdict"] == "held"
    assert admin.get("/api/stats").get_json()["sources"][-1]["records"] == 19

    [review] = admin.get("/api/admin/retirements").get_json()["reviews"]
    assert (review["candidates"], review["active"], review["status"]) == (17, 19, "pending")
    approved = admin.post(f"/api/admin/retirements/{review['id']}/approve").get_json()
    assert len(approved["retired"]) == 17
    assert_error(admin.post(f"/api/admin/retirements/{review['id']}/reject"), 409)

    retired = admin.get(f"/api/admin/records/retired?source={LIVE}").get_json()["records"]
    assert len(retired) == 17
    history = admin.get(f"/api/admin/records/{retired[0]['id']}/history").get_json()
    assert [e["event"] for e in history["events"]] == ["retired"]
    hits = admin.get(f"/api/search?source={LIVE}&size=0").get_json()
    assert hits["total"] == 2
    # Retired records are visible to admins only, the record endpoint included.
    anonymous = create_app(Runtime(live_settings, store=store, backend=backend)).test_client()
    assert admin.get(f"/api/records/{retired[0]['id']}").status_code == 200
    assert_error(anonymous.get(f"/api/records/{retired[0]['id']}"), 404)
    assert anonymous.get(f"/api/records/{records_of(LIVE, store)[0]}").status_code == 200


def test_stats_count_the_share_of_records_with_themes(admin: FlaskClient, store: Store) -> None:
    themed = Record.new(LIVE, "themed", title="Eau potable")
    themed.themes = [Theme(id="eau", uri="https://example.org/themes/eau")]
    plain = Record.new(LIVE, "plain", title="Sans thème")
    run = store.begin_run(LIVE)
    store.write_page(
        run,
        LIVE,
        [
            Harvested(original_id=r.provenance.original_id, raw=b"<x/>", record=r)
            for r in (themed, plain)
        ],
    )
    live = next(s for s in admin.get("/api/stats").get_json()["sources"] if s["id"] == LIVE)
    assert (live["records"], live["with_themes"], live["theme_share"]) == (2, 1, 0.5)
    assert live["indexed"] == 0  # written to the store only: the index is told apart
