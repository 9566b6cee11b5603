"""Who sees what through the API: the issue-8 matrix.

The API test catalogue is harvested through the real Ingestor with the access policy of
the config: `geo` is restricted to ROLE_A, `opendata` is public, `agency-b` is restricted to
ROLE_B and `vault` to admins. Each caller (anonymous, a role-A user, a role-B user, an admin,
and a request forging every role from an untrusted address) must see exactly its records in
search hits, totals, every facet count, pages, record detail, raw payloads, clusters, and
the exports (/api/themes, /api/stats, /api/sources).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from harvester.base import Page
from indexer.access import AccessPolicy
from indexer.backends import build_backend
from indexer.backends.base import FACETS, SearchBackend
from indexer.backends.documents import facet_values
from indexer.store import Store
from indexer.tokens import Tokens
from moisson.config import Settings
from moisson.record import Harvested, Keyword, Record
from pipeline.ingest import Ingestor, reindex_all
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.api.conftest import GEO, OPEN, assert_error, catalogue, raw_xml

ROLE_A, ROLE_B = "ROLE_A", "ROLE_B"
AGENCY_B, VAULT = "agency-b", "vault"
GATEWAY, INTRUDER = "10.0.0.1", "10.6.6.6"
SOURCES = {GEO: [ROLE_A], OPEN: None, AGENCY_B: [ROLE_B], VAULT: []}  # None: public

CALLERS: dict[str, tuple[str, dict[str, str]]] = {
    "anonymous": ("127.0.0.1", {}),
    "role A": (GATEWAY, {"sec-username": "alice", "sec-roles": f"ROLE_USER;{ROLE_A}"}),
    "role B": (GATEWAY, {"sec-username": "bob", "sec-roles": f"ROLE_USER;{ROLE_B}"}),
    "admin": (GATEWAY, {"sec-username": "root", "sec-roles": "ROLE_USER;ROLE_MOISSON_ADMIN"}),
    "forged": (
        INTRUDER,
        {"sec-username": "root", "sec-roles": f"{ROLE_A};{ROLE_B};ROLE_MOISSON_ADMIN"},
    ),
}
SEES: dict[str, set[str]] = {
    "anonymous": {OPEN},
    "role A": {OPEN, GEO},
    "role B": {OPEN, AGENCY_B},
    "admin": {OPEN, GEO, AGENCY_B, VAULT},
    "forged": {OPEN},
}


def _access(roles: list[str] | None) -> dict[str, Any]:
    return {"public": True} if roles is None else {"public": False, "roles": roles}


def settings_for(tmp_path: Path, public: set[str] = frozenset(), **auth: Any) -> Settings:  # type: ignore[assignment]
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
            "index": {"url": f"sqlite:///{tmp_path / 'index.db'}"},
            "auth": {"mode": "georchestra", "trusted_proxies": [GATEWAY], **auth},
            "api": {"anonymous_rate_limit": 0},
            "sources": [
                {
                    "id": source,
                    "kind": "csw",
                    "url": f"https://{source}.example.org/csw",
                    "access": _access(None if source in public else roles),
                }
                for source, roles in SOURCES.items()
            ],
        }
    )


def _catalogue() -> dict[str, list[Record]]:
    found = catalogue()
    found[AGENCY_B] = [
        Record.new(
            AGENCY_B,
            f"b{n}",
            title=f"Prospection pétrolière lot {n}",
            abstract="Relevés sismiques confidentiels (eau de gisement).",
            keywords=[Keyword(label="eau"), Keyword(label="prospection")],
            formats=["CSV"],
            published=date(2019, 1, n),
        )
        for n in (1, 2)
    ]
    found[VAULT] = [
        Record.new(
            VAULT,
            "v1",
            title="Sites sensibles",
            keywords=[Keyword(label="eau")],
            revised=date(2023, 2, 2),
        )
    ]
    return found


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


@pytest.fixture
def stack(settings: Settings) -> Iterator[tuple[Store, SearchBackend]]:
    backend = build_backend(settings.index.url)
    with Store(settings.store.url) as store:
        backend.open()
        try:
            yield store, backend
        finally:
            backend.close()


@pytest.fixture
def harvested(settings: Settings, stack: tuple[Store, SearchBackend]) -> list[Record]:
    """Every record, written and indexed through the Ingestor as a harvest does."""
    store, backend = stack
    ingestor = Ingestor(store, backend, access=AccessPolicy(settings.sources))
    for source, items in _catalogue().items():
        run = store.begin_run(source)
        ingestor.write_page(
            run,
            source,
            Page(
                items=[
                    Harvested(original_id=r.provenance.original_id, raw=raw_xml(r), record=r)
                    for r in items
                ]
            ),
        )
        store.finish_run(run, status="complete", complete=True)
    return list(store.iter_records())


@pytest.fixture
def app(settings: Settings, stack: tuple[Store, SearchBackend], harvested: list[Record]) -> Flask:
    store, backend = stack
    return create_app(Runtime(settings, store=store, backend=backend))


def call(app: Flask, caller: str, path: str) -> Any:
    address, headers = CALLERS[caller]
    return app.test_client().get(path, headers=headers, environ_base={"REMOTE_ADDR": address})


def _expected(records: list[Record], caller: str) -> list[Record]:
    return [r for r in records if r.provenance.source_id in SEES[caller]]


def test_the_catalogue_is_stamped_with_its_source_access(harvested: list[Record]) -> None:
    stamps = {r.provenance.source_id: r.access for r in harvested}
    assert stamps == {GEO: [ROLE_A], OPEN: ["*"], AGENCY_B: [ROLE_B], VAULT: []}


@pytest.mark.parametrize("caller", CALLERS)
def test_search_hits_total_and_every_facet_count(
    app: Flask, harvested: list[Record], caller: str
) -> None:
    expected = _expected(harvested, caller)
    body = call(app, caller, "/api/search?size=100&facet_size=200").get_json()
    assert body["total"] == len(expected)
    assert {h["id"] for h in body["hits"]} == {r.id for r in expected}
    for name in FACETS:
        counts = Counter(v for r in expected for v in facet_values(r).get(name, []))
        assert {b["value"]: b["count"] for b in body["facets"].get(name, [])} == dict(counts)


@pytest.mark.parametrize("caller", CALLERS)
def test_text_search_and_paging(app: Flask, harvested: list[Record], caller: str) -> None:
    expected = _expected(harvested, caller)
    allowed = {r.id for r in expected}
    with_eau = call(app, caller, "/api/search?q=eau&size=100").get_json()
    everything = call(app, "admin", "/api/search?q=eau&size=100").get_json()
    assert {h["id"] for h in with_eau["hits"]} == {h["id"] for h in everything["hits"]} & allowed
    assert with_eau["total"] == len(with_eau["hits"])
    seen: list[str] = []
    for page in range(1, len(expected) // 2 + 2):
        body = call(app, caller, f"/api/search?size=2&page={page}&sort=title").get_json()
        assert body["total"] == len(expected)
        seen += [h["id"] for h in body["hits"]]
    assert sorted(seen) == sorted(allowed)


@pytest.mark.parametrize("caller", CALLERS)
def test_record_detail_raw_payload_and_cluster(
    app: Flask, harvested: list[Record], caller: str
) -> None:
    allowed = {r.id for r in _expected(harvested, caller)}
    for record in harvested:
        for suffix in ("", "?raw=1", "/cluster"):
            response = call(app, caller, f"/api/records/{record.id}{suffix}")
            if record.id in allowed:
                assert response.status_code == 200, (record.id, suffix)
            else:  # the same answer as an id that does not exist
                assert_error(response, 404, contains=f"no record with id {record.id!r}")
    unknown = call(app, caller, "/api/records/0123456789abcdef01234567")
    assert_error(unknown, 404, contains="no record with id")


@pytest.mark.parametrize("caller", CALLERS)
def test_exports_themes_stats_and_sources(app: Flask, harvested: list[Record], caller: str) -> None:
    expected = _expected(harvested, caller)
    themes = call(app, caller, "/api/themes").get_json()
    assert themes["total"] == len(expected)
    stats = call(app, caller, "/api/stats").get_json()
    assert {s["id"] for s in stats["sources"]} == SEES[caller]
    per_source = Counter(r.provenance.source_id for r in expected)
    assert {s["id"]: s["indexed"] for s in stats["sources"]} == dict(per_source)
    assert {s["id"]: s["records"] for s in stats["sources"]} == dict(per_source)
    assert sum(day["records_new"] for day in stats["days"]) == len(expected)
    sources = call(app, caller, "/api/sources").get_json()
    assert {s["id"] for s in sources["sources"]} == SEES[caller]


@pytest.mark.parametrize("caller", CALLERS)
def test_admin_endpoints_need_an_admin_role(app: Flask, caller: str) -> None:
    response = call(app, caller, "/api/admin/runs")
    if caller == "admin":
        assert response.status_code == 200
    elif caller in {"anonymous", "forged"}:
        assert_error(response, 401)
    else:
        assert_error(response, 403, contains="auth.admin_roles")


def test_forged_headers_are_logged_and_ignored(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="search_api.auth"):
        body = call(app, "forged", "/api/search?size=0").get_json()
    assert body["total"] == 3  # the public source only
    assert any(INTRUDER in r.getMessage() for r in caplog.records)


def test_an_access_change_applies_at_reindex_without_reharvest(
    tmp_path: Path, stack: tuple[Store, SearchBackend], harvested: list[Record]
) -> None:
    store, backend = stack
    opened = settings_for(tmp_path, public={GEO})
    app = create_app(Runtime(opened, store=store, backend=backend))
    geo_ids = {r.id for r in harvested if r.provenance.source_id == GEO}
    # The record endpoint follows the config at once; the index after `moisson reindex`.
    assert call(app, "anonymous", f"/api/records/{min(geo_ids)}").status_code == 200
    assert call(app, "anonymous", "/api/search?size=100").get_json()["total"] == 3
    reindex_all(store, backend, None, AccessPolicy(opened.sources))
    hits = call(app, "anonymous", "/api/search?size=100").get_json()["hits"]
    assert geo_ids <= {h["id"] for h in hits}
    assert len(hits) == 6


def test_token_mode_gives_the_token_roles(
    tmp_path: Path, stack: tuple[Store, SearchBackend], harvested: list[Record]
) -> None:
    store, backend = stack
    app = create_app(Runtime(settings_for(tmp_path, mode="token"), store=store, backend=backend))
    tokens = Tokens(store)
    row, secret = tokens.create("agency A scripts", [ROLE_A])
    client = app.test_client()

    def total(headers: dict[str, str]) -> Any:
        return client.get("/api/search?size=0", headers=headers)

    as_a = total({"Authorization": f"Bearer {secret}"})
    assert as_a.get_json()["total"] == len(_expected(harvested, "role A"))
    assert as_a.headers["Cache-Control"] == "private, no-store"
    # sec-* headers mean nothing in token mode, even from the gateway's address
    forged = client.get(
        "/api/search?size=0",
        headers=CALLERS["admin"][1],
        environ_base={"REMOTE_ADDR": GATEWAY},
    )
    assert forged.get_json()["total"] == 3
    assert_error(total({"Authorization": "Bearer mst_not-a-token"}), 401, contains="revoked")
    assert_error(client.get("/api/admin/runs", headers={"Authorization": f"Bearer {secret}"}), 403)
    tokens.revoke(row.id)
    assert_error(total({"Authorization": f"Bearer {secret}"}), 401)
    assert [t.revoked is not None for t in tokens.list()] == [True]
    _admin_row, admin_secret = tokens.create("ops", ["ROLE_MOISSON_ADMIN"])
    ok = client.get("/api/admin/runs", headers={"Authorization": f"Bearer {admin_secret}"})
    assert ok.status_code == 200
    assert admin_secret not in str([t.__dict__ for t in tokens.list()])  # only the hash is kept
