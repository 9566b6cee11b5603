"""Themes through the API, on real fixture records harvested through the real ingest path
(parser -> Ingestor with the matcher -> SQLite store -> SQLite index), plus two records
written for the cross-language case the fixtures lack (an English-only wetlands record).

Rule changes use a copy of the bundled rules file, so applying one never edits the repo.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from harvester.base import Page
from harvester.formats.csw_response import read_document
from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.store import Store
from indexer.themes import load_themer
from moisson.config import BUNDLED_RULES, IndexSettings, Settings, StoreSettings, ThemesSettings
from moisson.record import Harvested, Keyword, Outcome, Record
from pipeline.ingest import Ingestor
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.api.conftest import assert_error, check_against

SOURCE = "fixtures"
HAND = "hand"
DRAFT = {
    "id": "cropland",
    "comment": "USGS land-cover keyword used by the pycsw sample records",
    "keyword": "Vegetation-Cropland",
    "concept": "agriculture",
}


def _hand_records() -> list[Record]:
    return [
        Record.new(
            HAND,
            "camargue",
            title="Wetlands of the Camargue",
            abstract="Lagoons and salt marshes of the Rhône delta.",
            keywords=[Keyword(label="wetlands")],
        ),
        Record.new(
            HAND,
            "bocage",
            title="Haies et bocage",
            abstract="Linéaire de haies.",
            keywords=[Keyword(label="bocage")],
        ),
    ]


def _pages(fixtures: Path) -> Iterator[tuple[str, Page]]:
    for folder in ("records", "pycsw"):
        for path in sorted((fixtures / "csw" / folder).glob("*.xml")):
            try:
                document = read_document(path.read_bytes(), SOURCE)
            except Exception:  # capabilities / exception reports hold no records
                continue
            yield SOURCE, Page(items=document.items)
    items = [
        Harvested(original_id=r.provenance.original_id, raw=r.title.encode(), record=r)
        for r in _hand_records()
    ]
    yield HAND, Page(items=items)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    rules = tmp_path / "rules.yaml"
    shutil.copy(BUNDLED_RULES, rules)
    return Settings(
        store=StoreSettings(url=f"sqlite:///{tmp_path / 'store.db'}"),
        index=IndexSettings(url=f"sqlite:///{tmp_path / 'index.db'}"),
        themes=ThemesSettings(rules=rules),
        api={"admin_open": True},
    )


@pytest.fixture
def harvested(settings: Settings, shared_fixtures: Path) -> Iterator[tuple[Store, SearchBackend]]:
    backend = build_backend(settings.index.url)
    with Store(settings.store.url) as store:
        backend.open()
        try:
            ingestor = Ingestor(store, backend, load_themer(settings.themes))
            for source, page in _pages(shared_fixtures):
                run = store.begin_run(source)
                ingestor.write_page(run, source, page)
                store.finish_run(run, status="complete", complete=True)
            yield store, backend
        finally:
            backend.close()


@pytest.fixture
def app(settings: Settings, harvested: tuple[Store, SearchBackend]) -> Flask:
    store, backend = harvested
    return create_app(Runtime(settings, store=store, backend=backend))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _hits(client: FlaskClient, query: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/search?{query}&size=100")
    assert response.status_code == 200, response.get_data(as_text=True)
    hits: list[dict[str, Any]] = response.get_json()["hits"]
    return hits


def _titles(client: FlaskClient, query: str) -> list[str]:
    return [hit["title"] for hit in _hits(client, query)]


def _facet(client: FlaskClient, query: str = "") -> dict[str, int]:
    body = client.get(f"/api/search?facet_size=200&size=0&{query}").get_json()
    return {bucket["value"]: bucket["count"] for bucket in body["facets"]["theme"]}


def _ids_under(store: Store, concept: str) -> set[str]:
    return {
        r.id
        for r in store.iter_records()
        if any(t.id == concept or concept in t.broader for t in r.themes)
    }


def test_a_french_label_finds_a_record_described_only_in_english(client: FlaskClient) -> None:
    assert "Wetlands of the Camargue" not in _titles(client, "q=marais+salants+humides")
    assert "Wetlands of the Camargue" in _titles(client, "q=zones+humides")
    assert "Wetlands of the Camargue" in _titles(client, "q=milieux+humides")  # an altLabel


def test_the_other_words_of_the_query_still_apply(client: FlaskClient) -> None:
    assert _titles(client, "q=zones+humides+camargue") == ["Wetlands of the Camargue"]
    assert _titles(client, "q=zones+humides+bretagne") == []


def test_hits_carry_theme_labels_in_the_requested_language(client: FlaskClient) -> None:
    [hit] = [h for h in _hits(client, "q=camargue") if h["title"].startswith("Wetlands")]
    [theme] = hit["themes"]
    assert theme == {
        "id": "wetlands",
        "uri": "https://w3id.org/moisson/theme/wetlands",
        "label": "Zones humides",
    }
    [english] = [h for h in _hits(client, "q=camargue&lang=en") if h["title"].startswith("Wet")]
    assert english["themes"][0]["label"] == "Wetlands"


def test_a_parent_theme_counts_and_finds_its_childrens_records(
    client: FlaskClient, harvested: tuple[Store, SearchBackend]
) -> None:
    store, _ = harvested
    counts = _facet(client)
    water = _ids_under(store, "water")
    assert counts["water"] == len(water)
    assert counts["water"] > counts["wetlands"] >= 1
    assert counts["water"] >= counts["hydrography"] >= 1
    filtered = {hit["id"] for hit in _hits(client, "theme=water")}
    assert filtered == water
    assert {hit["id"] for hit in _hits(client, "theme=wetlands")} < filtered


def test_theme_facet_buckets_are_labelled(client: FlaskClient) -> None:
    body = client.get("/api/search?facet_size=200&size=0&lang=en").get_json()
    labels = {b["value"]: b["label"] for b in body["facets"]["theme"]}
    assert labels["water"] == "Water"
    assert labels["orthoimagery"] == "Orthoimagery"


def test_the_theme_tree_counts_match_the_facet(client: FlaskClient) -> None:
    body = client.get("/api/themes").get_json()
    assert body["lang"] == "fr"
    nodes = {}

    def walk(node: dict[str, Any]) -> None:
        nodes[node["id"]] = node
        for child in node["narrower"]:
            walk(child)

    for top in body["themes"]:
        walk(top)
    assert 40 <= len(nodes) <= 80
    counts = _facet(client)
    assert {k: v["count"] for k, v in nodes.items() if v["count"]} == counts
    water = nodes["water"]
    assert water["label"] == "Eau"
    assert {child["id"] for child in water["narrower"]} >= {"wetlands", "hydrography"}
    english = client.get("/api/themes?lang=en&q=camargue").get_json()
    [water_en] = [t for t in english["themes"] if t["id"] == "water"]
    assert (water_en["label"], water_en["count"]) == ("Water", 1)


def test_a_record_shows_each_theme_with_its_evidence(
    client: FlaskClient, harvested: tuple[Store, SearchBackend]
) -> None:
    store, _ = harvested
    [record] = [r for r in store.iter_records() if r.title.startswith("Stahovací služba ATOM")]
    body = client.get(f"/api/records/{record.id}").get_json()
    hydrography = next(t for t in body["themes"] if t["id"] == "hydrography")
    assert hydrography["evidence"] == [
        {
            "step": "uri",
            "field": "keyword",
            "matched": "http://inspire.ec.europa.eu/theme/hy",
            "target": "skos:exactMatch <http://inspire.ec.europa.eu/theme/hy>",
            "rule": None,
        }
    ]


def test_unmapped_keywords_are_ranked_by_reach(client: FlaskClient) -> None:
    body = client.get("/api/admin/unmapped?limit=100").get_json()
    ranked = {item["keyword"]: item for item in body["keywords"]}
    assert ranked["Vegetation-Cropland"]["records"] == 1  # one record, listed by 3 pages
    reach = [item["records"] for item in body["keywords"]]
    assert reach == sorted(reach, reverse=True)
    assert "données ouvertes" not in ranked  # an `ignore` rule hides it


def test_a_preview_reports_the_exact_records_and_changes_nothing(
    client: FlaskClient, harvested: tuple[Store, SearchBackend], settings: Settings
) -> None:
    store, _ = harvested
    expected = {
        r.id
        for r in store.iter_records()
        if any(k.label == "Vegetation-Cropland" for k in r.keywords)
        and "agriculture" not in {t.id for t in r.themes}
    }
    assert expected  # the pycsw sample record that lists it
    rules_before = settings.themes.rules_path.read_text(encoding="utf-8")
    before = _facet(client).get("agriculture", 0)

    body = client.post("/api/admin/mappings/preview", json=DRAFT).get_json()
    assert body["applied"] is False
    assert {r["id"] for r in body["records"]} == expected
    for change in body["records"]:
        assert change["lost"] == []
        [gained] = change["gained"]
        assert gained["id"] == "agriculture"
        assert gained["evidence"][0]["rule"] == "cropland"

    assert settings.themes.rules_path.read_text(encoding="utf-8") == rules_before
    assert _facet(client).get("agriculture", 0) == before
    assert all("agriculture" not in {t.id for t in store.get(i).themes} for i in expected)


def test_applying_a_rule_rethemes_from_the_store_without_a_harvest(
    client: FlaskClient, harvested: tuple[Store, SearchBackend], settings: Settings
) -> None:
    store, _ = harvested
    runs = len(store.runs(limit=1000))
    before = {hit["id"] for hit in _hits(client, "theme=agriculture")}
    body = client.post("/api/admin/mappings/apply", json=DRAFT).get_json()
    changed = {r["id"] for r in body["records"]}
    assert body["applied"] is True and body["changed"] == len(changed) >= 1

    assert {hit["id"] for hit in _hits(client, "theme=agriculture")} == before | changed
    assert {hit["id"] for hit in _hits(client, "theme=agriculture-forestry")} >= changed
    for record_id in changed:
        themes = client.get(f"/api/records/{record_id}").get_json()["themes"]
        [agriculture] = [t for t in themes if t["id"] == "agriculture"]
        assert agriculture["evidence"][0]["rule"] == "cropland"
    assert len(store.runs(limit=1000)) == runs  # no harvest ran
    text = settings.themes.rules_path.read_text(encoding="utf-8")
    assert "id: cropland" in text and "# Keyword -> theme rules" in text  # comments kept
    assert "Vegetation-Cropland" not in {
        item["keyword"] for item in client.get("/api/admin/unmapped").get_json()["keywords"]
    }


def test_a_rethemed_record_is_still_unchanged_for_the_next_harvest(
    client: FlaskClient,
    harvested: tuple[Store, SearchBackend],
    settings: Settings,
    shared_fixtures: Path,
) -> None:
    store, backend = harvested
    rule = {"id": "wet-coast", "comment": "t", "keyword": "wetlands", "concept": "coast"}
    assert client.post("/api/admin/mappings/apply", json=rule).get_json()["changed"] == 1
    ingestor = Ingestor(store, backend, load_themer(settings.themes))
    [(source, page)] = [(s, p) for s, p in _pages(shared_fixtures) if s == HAND]
    run = store.begin_run(source)
    assert +ingestor.write_page(run, source, page) == {Outcome.UNCHANGED: 2}
    camargue = next(r for r in store.iter_records(HAND) if r.title.startswith("Wetlands"))
    assert {t.id for t in camargue.themes} == {"wetlands", "coast"}


def test_bad_drafts_are_refused_in_the_error_shape(client: FlaskClient) -> None:
    assert_error(client.post("/api/admin/mappings/preview", data="x"), 400, contains="JSON")
    bad_concept = {**DRAFT, "concept": "swamps"}
    assert_error(
        client.post("/api/admin/mappings/preview", json=bad_concept), 400, contains="swamps"
    )
    no_comment = {k: v for k, v in DRAFT.items() if k != "comment"}
    assert_error(client.post("/api/admin/mappings/apply", json=no_comment), 400, contains="comment")
    bad_pattern = {**DRAFT, "keyword": None, "pattern": "(zones"}
    assert_error(
        client.post("/api/admin/mappings/preview", json=bad_pattern), 400, contains="regular"
    )


def test_theme_admin_needs_the_admin_token(
    settings: Settings, harvested: tuple[Store, SearchBackend]
) -> None:
    store, backend = harvested
    closed = Settings(store=settings.store, index=settings.index, api={"admin_token": "s3cret"})
    client = create_app(Runtime(closed, store=store, backend=backend)).test_client()
    assert_error(client.get("/api/admin/unmapped"), 401)
    assert_error(client.post("/api/admin/mappings/apply", json=DRAFT), 401)
    ok = client.get("/api/admin/unmapped", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200


def test_theme_endpoints_match_the_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").get_json()
    check_against(doc, "/api/themes", "get", client.get("/api/themes?lang=en"))
    check_against(doc, "/api/themes", "get", client.get("/api/themes?size=3"))
    check_against(doc, "/api/admin/unmapped", "get", client.get("/api/admin/unmapped"))
    check_against(doc, "/api/admin/unmapped", "get", client.get("/api/admin/unmapped?nope=1"))
    for path in ("/api/admin/mappings/preview", "/api/admin/mappings/apply"):
        check_against(doc, path, "post", client.post(path, json={"id": "x"}))
        check_against(doc, path, "post", client.post(path, json=DRAFT))


def test_another_worker_previews_against_the_rules_on_disk(
    client: FlaskClient, settings: Settings, harvested: tuple[Store, SearchBackend]
) -> None:
    store, backend = harvested
    other = create_app(Runtime(settings, store=store, backend=backend)).test_client()
    assert other.post("/api/admin/mappings/preview", json=DRAFT).get_json()["changed"] == 1
    assert client.post("/api/admin/mappings/apply", json=DRAFT).get_json()["changed"] == 1
    assert other.post("/api/admin/mappings/preview", json=DRAFT).get_json()["changed"] == 0
