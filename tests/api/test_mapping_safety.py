"""Admin rule changes are safe (issue 20, item 4): an existing rule id is refused unless the
draft says `replace: true`, the preview shows the rule it would replace, the rules file is
edited in place (its comments and formatting kept), a bad draft gets all its problems at
once and malformed JSON says where it breaks.

Real app, real SQLite store and index holding the bundled CSW samples, and a copy of the
bundled rules file."""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from harvester.base import Page
from harvester.formats.csw_response import read_document
from indexer.backends import build_backend
from indexer.rules import load_rules
from indexer.store import Store
from indexer.themes import load_themer
from moisson.config import BUNDLED_RULES, IndexSettings, Settings, StoreSettings, ThemesSettings
from pipeline.ingest import Ingestor
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.api.conftest import assert_error, check_against

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SHIPPED = "covadis-urbanisme"  # the COVADIS rule the issue saw lost
NEW = {
    "id": "zh-palustre",
    "comment": "Regional keyword for wetlands",
    "keyword": "milieux palustres",
    "concept": "wetlands",
}
REPLACEMENT = {
    "id": SHIPPED,
    "comment": "COVADIS planning label, any spelling of the tree",
    "keyword_pattern": "^amenagement urbanisme",
    "concept": "urban-planning",
}


@pytest.fixture
def rules_path(tmp_path: Path) -> Path:
    path = tmp_path / "theme-rules.yaml"
    shutil.copy(BUNDLED_RULES, path)
    return path


@pytest.fixture
def client(tmp_path: Path, rules_path: Path) -> Iterator[FlaskClient]:
    settings = Settings(
        store=StoreSettings(url=f"sqlite:///{tmp_path / 'store.db'}"),
        index=IndexSettings(url=f"sqlite:///{tmp_path / 'index.db'}"),
        themes=ThemesSettings(rules=rules_path),
        api={"admin_open": True},
    )
    backend = build_backend(settings.index.url)
    with Store(settings.store.url) as store:
        backend.open()
        try:
            ingestor = Ingestor(store, backend, load_themer(settings.themes))
            run = store.begin_run("sample-csw")
            for path in sorted((SAMPLES / "csw").glob("*.xml")):
                items = read_document(path.read_bytes(), "sample-csw").items
                ingestor.write_page(run, "sample-csw", Page(items=items))
            store.finish_run(run, status="complete", complete=True)
            yield create_app(Runtime(settings, store=store, backend=backend)).test_client()
        finally:
            backend.close()


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="")
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


def test_an_existing_rule_id_is_refused_without_replace(
    client: FlaskClient, rules_path: Path
) -> None:
    before = rules_path.read_bytes()
    message = assert_error(client.post("/api/admin/mappings/apply", json=REPLACEMENT), 409)
    assert SHIPPED in message and '"replace": true' in message
    assert "Aménagement Urbanisme/Zonages Planification" in message  # what it would lose
    assert rules_path.read_bytes() == before
    assert SHIPPED in {rule.id for rule in load_rules(rules_path).rules}


def test_the_preview_shows_the_rule_it_would_replace(client: FlaskClient) -> None:
    body = client.post("/api/admin/mappings/preview", json=REPLACEMENT).get_json()
    assert body["applied"] is False
    assert body["replaces"] == {
        "id": SHIPPED,
        "comment": "COVADIS tree label used by French GeoNetwork catalogues for planning "
        "documents.",
        "action": "map",
        "keyword": "Aménagement Urbanisme/Zonages Planification",
        "concept": "urban-planning",
    }
    fresh = client.post("/api/admin/mappings/preview", json=NEW).get_json()
    assert fresh["replaces"] is None


def test_replace_true_edits_only_that_rule_and_keeps_the_comments(
    client: FlaskClient, rules_path: Path
) -> None:
    before = rules_path.read_text(encoding="utf-8")
    body = client.post("/api/admin/mappings/apply", json={**REPLACEMENT, "replace": True})
    assert body.status_code == 200, body.get_data(as_text=True)
    assert body.get_json()["replaces"]["keyword"] == "Aménagement Urbanisme/Zonages Planification"
    after = rules_path.read_text(encoding="utf-8")
    assert changed_lines(before, after) == [
        "-    comment: COVADIS tree label used by French GeoNetwork catalogues for planning "
        "documents.",
        "-    keyword: Aménagement Urbanisme/Zonages Planification",
        "+    comment: COVADIS planning label, any spelling of the tree",
        "+    keyword_pattern: ^amenagement urbanisme",
    ]
    [rule] = [r for r in load_rules(rules_path).rules if r.id == SHIPPED]
    assert rule.keyword_pattern == "^amenagement urbanisme"


def test_a_new_rule_is_appended_and_nothing_else_moves(
    client: FlaskClient, rules_path: Path
) -> None:
    before = rules_path.read_text(encoding="utf-8")
    assert client.post("/api/admin/mappings/apply", json=NEW).status_code == 200
    after = rules_path.read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n") + "\n")
    assert changed_lines(before, after) == [
        "+  - id: zh-palustre",
        "+    comment: Regional keyword for wetlands",
        "+    keyword: milieux palustres",
        "+    concept: wetlands",
    ]


def test_every_problem_of_a_draft_is_listed_at_once(client: FlaskClient) -> None:
    draft = {
        "id": "Bad Id!",
        "action": "mapp",
        "concept": "swamps",
        "keywrd": "x",
        "replace": "yes",
    }
    message = assert_error(client.post("/api/admin/mappings/preview", json=draft), 400)
    for problem in (
        "id: String should match pattern",
        "comment: Field required",
        "action: Input should be 'map', 'exclude' or 'ignore'",
        "keywrd: Extra inputs are not permitted",
        "concept: 'swamps' is not a concept of the thesaurus",
        "replace: must be true or false",
        "give exactly one condition",
    ):
        assert problem in message, message
    assert message.startswith("invalid rule (7 problems)")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"id": "x",\n "comment": "y"\n "keyword": "z"}', "line 3, column 2"),
        (b'{"id": "x", "comment": }', "line 1, column 24"),
        (b"", "request body"),
        (b'["a list"]', "not a JSON list"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_malformed_json_says_what_and_where(
    client: FlaskClient, body: bytes, expected: str
) -> None:
    response = client.post(
        "/api/admin/mappings/preview", data=body, content_type="application/json"
    )
    assert expected in assert_error(response, 400)


def test_the_new_answers_match_the_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").get_json()
    path = "/api/admin/mappings/apply"
    check_against(doc, path, "post", client.post(path, json=REPLACEMENT))  # 409
    check_against(doc, path, "post", client.post(path, json={**REPLACEMENT, "replace": True}))
    check_against(doc, "/api/admin/mappings/preview", "post", client.post(path, data=b"{"))
