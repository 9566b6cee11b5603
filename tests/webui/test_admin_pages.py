"""The admin workbench pages and actions through the Flask test client, as an admin, over
a catalogue really harvested from the samples (testkit/admin_catalogue.py). Each action is
checked by its effect in the store, the rules file or search, not only by its status."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.cluster_review import review_queue
from moisson.record import Query
from pipeline.runtime import Runtime
from testkit.admin_catalogue import BROKEN_FILE, LEGACY
from tests.webui.admin_site import ADMIN, admin_app, token


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, Runtime]]:
    """One catalogue for the read-only page tests."""
    yield from admin_app(tmp_path_factory.mktemp("admin-pages"))


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[Flask, Runtime]]:
    """A catalogue of its own, for a test that changes it."""
    yield from admin_app(tmp_path)


def _get(client: FlaskClient, path: str, status: int = 200, lang: str = "en") -> str:
    response = client.get(path, headers={**ADMIN, "Accept-Language": lang})
    assert response.status_code == status, (path, response.get_data(as_text=True)[:2000])
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _post(
    client: FlaskClient, path: str, data: dict[str, str | list[str]], status: int = 303
) -> str:
    response = client.post(path, headers={**ADMIN, "X-CSRF-Token": token(client, ADMIN)}, data=data)
    assert response.status_code == status, (path, response.get_data(as_text=True)[:2000])
    return (
        response.headers.get("Location", "") if status == 303 else response.get_data(as_text=True)
    )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_page_renders_with_landmarks_and_title(shared: tuple[Flask, Runtime]) -> None:
    app, runtime = shared
    client = app.test_client()
    cluster = review_queue(runtime.clusters, runtime.store)[0].id
    entry = runtime.store.quarantined()[0]["id"]
    pages = ["/admin/", "/admin/themes", "/admin/themes/rule", "/admin/thesaurus",
             "/admin/duplicates", f"/admin/duplicates/{cluster}", "/admin/harvesting",
             "/admin/harvesting/runs", "/admin/quarantine", f"/admin/quarantine/{entry}",
             "/admin/retirements", "/admin/themes/rules/ignore-open-data/remove",
             "/admin/harvesting/sample-csw/progress"]  # fmt: skip
    for path in pages:
        for lang in ("en", "fr"):
            html = _get(client, path, lang=lang)
            assert f'<html lang="{lang}">' in html, path
            assert re.search(r"<title>[^<]+</title>", html), path
            assert '<main id="main"' in html and "<h1" in html, path
            assert "admin." not in _text(html), (path, lang)  # no message key left untranslated


def test_the_overview_counts_what_waits(shared: tuple[Flask, Runtime]) -> None:
    app, runtime = shared
    text = _text(_get(app.test_client(), "/admin/"))
    assert f"{len(runtime.clusters.clusters())} duplicate cluster(s)" in text
    assert "1 retirement(s) waiting" in text and "1 record(s) in quarantine" in text
    assert f"{len(runtime.settings.sources)} source(s) configured" in text


def test_a_hand_made_done_url_shows_no_notice_and_no_error(shared: tuple[Flask, Runtime]) -> None:
    client = shared[0].test_client()
    assert 'class="notice"' not in _get(client, "/admin/themes?done=applied")  # no counts
    assert 'class="notice"' not in _get(client, "/admin/themes?done=nonsense&rule=x")
    shown = _get(client, "/admin/themes?done=applied&rule=%3Cb%3Ex&changed=2")
    assert "Rule &lt;b&gt;x applied: 2 record(s)" in shown  # escaped


def test_unmapped_keywords_are_ranked_with_a_map_link(shared: tuple[Flask, Runtime]) -> None:
    app, _ = shared
    html = _get(app.test_client(), "/admin/themes")
    rows = re.findall(r'<td class="num">(\d+)</td><td class="num">\d+</td>', html)
    counts = [int(n) for n in rows]
    assert counts and counts == sorted(counts, reverse=True)
    assert "/admin/themes/rule?keyword=" in html
    assert "ignore-open-data" in html  # the rules in force, with their comments
    assert "Open-data flags say nothing about a theme." in html


def test_map_a_keyword_preview_then_apply(fresh: tuple[Flask, Runtime]) -> None:
    app, runtime = fresh
    client = app.test_client()
    html = _get(client, "/admin/themes")
    keyword = re.search(r'/admin/themes/rule\?keyword=([^"]+)"', html)
    assert keyword
    form = _get(client, f"/admin/themes/rule?keyword={keyword.group(1)}")
    value = re.search(r'id="rule-value" name="value" value="([^"]*)"', form)
    assert value and value.group(1)
    label = value.group(1).replace("&#39;", "'").replace("&amp;", "&")
    data = {"kind": "keyword", "value": label, "action": "map", "concept": "energy",
            "comment": "Tested mapping", "id": ""}  # fmt: skip
    preview = _post(client, "/admin/themes/rule/preview", data, status=200)
    gaining = re.findall(r'<code class="muted">([0-9a-f]{24})</code>', preview)
    assert gaining, _text(preview)
    assert "+ energy" in preview
    rules_file = runtime.settings.themes.rules_path
    assert "Tested mapping" not in rules_file.read_text(encoding="utf-8")  # preview writes nothing

    location = _post(client, "/admin/themes/rule/apply", data)
    assert "done=applied" in location and f"changed={len(set(gaining))}" in location
    assert "Tested mapping" in rules_file.read_text(encoding="utf-8")
    for record_id in set(gaining):
        assert "energy" in {t.id for t in runtime.store.get(record_id).themes}
    found = runtime.search.run(Query(filters={"theme": ["energy"]}, size=100, collapse=False))
    assert set(gaining) <= {h.id for h in found.results.hits}  # the index followed
    done = _get(client, location)
    assert "applied" in done and "record(s) changed themes" in done


def test_a_bad_draft_is_shown_again_with_its_problems(shared: tuple[Flask, Runtime]) -> None:
    client = shared[0].test_client()
    html = _post(client, "/admin/themes/rule/preview",
                 {"kind": "pattern", "value": "(unclosed", "action": "map", "concept": "nope",
                  "comment": "x"}, status=400)  # fmt: skip
    assert 'role="alert"' in html
    assert "not a concept of the thesaurus" in html and "not a valid regular expression" in html
    assert 'value="(unclosed"' in html  # what the admin typed is kept
    bad_source = {"kind": "source", "value": "nowhere", "concept": "energy"}
    html = _post(client, "/admin/themes/rule/preview", bad_source, status=400)
    assert "unknown source" in html


def test_source_default_rule_and_its_removal(fresh: tuple[Flask, Runtime]) -> None:
    app, runtime = fresh
    client = app.test_client()
    data = {"kind": "source", "value": "sample-ckan", "action": "map", "concept": "energy",
            "comment": "CKAN default", "id": "ckan-default"}  # fmt: skip
    _post(client, "/admin/themes/rule/apply", data)
    assert "ckan-default" in _get(client, "/admin/themes")
    taken = _post(client, "/admin/themes/rule/apply", data, status=400)  # same id, no replace
    assert "already exists" in taken and 'role="alert"' in taken
    edit = _get(client, "/admin/themes/rule?edit=ckan-default")
    assert 'value="sample-ckan"' in edit and "checked" in edit

    removal = _get(client, "/admin/themes/rules/ckan-default/remove")
    assert "ckan-default" in removal
    location = _post(client, "/admin/themes/rules/ckan-default/remove", {})
    assert "done=removed" in location
    assert "ckan-default" not in runtime.settings.themes.rules_path.read_text(encoding="utf-8")
    _get(client, "/admin/themes/rules/ckan-default/remove", status=400)


def test_thesaurus_browser_counts_and_validation(shared: tuple[Flask, Runtime]) -> None:
    client = shared[0].test_client()
    html = _get(client, "/admin/thesaurus")
    assert "No problem in" in html
    assert re.search(r"\d+ record\(s\)", html)
    filtered = _get(client, "/admin/thesaurus?q=zones%20humides", lang="fr")
    assert "wetlands" in filtered and "energy" not in filtered  # searched by its French label


def test_duplicates_queue_orders_and_source_pair_shares(shared: tuple[Flask, Runtime]) -> None:
    app, _ = shared
    client = app.test_client()
    html = _get(client, "/admin/duplicates")
    sizes = [int(n) for n in re.findall(r'</a></td><td class="num">(\d+)</td>', html)]
    assert sizes and sizes == sorted(sizes, reverse=True)
    assert f"<td>{LEGACY}</td><td>sample-csw</td>" in html  # per source pair
    for order in ("recent", "confidence"):
        assert "Clusters to review" in _get(client, f"/admin/duplicates?order={order}")
    _get(client, "/admin/duplicates?order=oldest", status=400)
    _get(client, "/admin/duplicates/no-such-cluster", status=404)


def test_split_a_cluster(fresh: tuple[Flask, Runtime]) -> None:
    app, runtime = fresh
    client = app.test_client()
    top = review_queue(runtime.clusters, runtime.store)[0]
    view = runtime.clusters.cluster(top.id)
    assert view is not None and len(view.members) == 3
    page = _get(client, f"/admin/duplicates/{top.id}")
    assert page.count('class="differs"') >= 1
    moving = next(m for m in view.members if m != view.canonical)
    location = _post(client, f"/admin/duplicates/{top.id}/split",
                     {"record_ids": [moving], "note": "another dataset"})  # fmt: skip
    assert "done=split" in location
    assert runtime.clusters.cluster_of(moving) is None  # stands alone now
    rest = runtime.clusters.cluster_of(view.canonical)
    assert rest is not None and moving not in rest.members
    _post(client, f"/admin/duplicates/{rest.id}/split", {"record_ids": rest.members}, status=400)


def test_pin_a_canonical_copy(fresh: tuple[Flask, Runtime]) -> None:
    app, runtime = fresh
    client = app.test_client()
    top = review_queue(runtime.clusters, runtime.store)[0]
    view = runtime.clusters.cluster(top.id)
    assert view is not None
    other = next(m for m in view.members if m != view.canonical)
    location = _post(client, f"/admin/duplicates/{top.id}/pin", {"record_id": other})
    assert "done=pinned" in location
    pinned = runtime.clusters.cluster_of(other)
    assert pinned is not None and pinned.canonical == other
    assert "pinned" in _get(client, location).lower()


def test_harvesting_health_and_harvest_now_with_progress(fresh: tuple[Flask, Runtime]) -> None:
    app, runtime = fresh
    client = app.test_client()
    html = _get(client, "/admin/harvesting")
    assert "cron 0 3 * * *" in html and "1 retirement(s) held" in html
    assert html.count("Harvest now") == len(runtime.settings.sources)
    before = runtime.store.latest_run("sample-ogcapi")
    assert before is not None
    location = _post(client, "/admin/harvesting/sample-ogcapi/harvest", {})
    assert f"/admin/harvesting/sample-ogcapi/progress?done=started&after={before.id}" in location
    deadline = time.monotonic() + 30
    while True:
        fragment = client.get(location, headers={**ADMIN, "HX-Request": "true"})
        assert fragment.status_code == 200
        body = fragment.get_data(as_text=True)
        assert "<main" not in body  # htmx gets the fragment only
        if "hx-trigger" not in body:  # polling stops once the run is over
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.1)
    after = runtime.store.latest_run("sample-ogcapi")
    assert after is not None and after.id > before.id and after.status == "complete"
    assert "complete" in body and f"run {after.id}," in body
    assert "Run history" in _get(client, "/admin/harvesting/runs?source=sample-ogcapi")
    _post(client, "/admin/harvesting/nowhere/harvest", {}, status=404)


def test_quarantine_shows_reason_and_escaped_payload(shared: tuple[Flask, Runtime]) -> None:
    app, runtime = shared
    client = app.test_client()
    html = _get(client, "/admin/quarantine")
    assert BROKEN_FILE in html and "not well-formed XML" in html
    entry = runtime.store.quarantined()[0]["id"]
    page = _get(client, f"/admin/quarantine/{entry}")
    assert "&lt;gmd:MD_Metadata" in page or "&lt;?xml" in page  # shown as text, never as markup
    assert "<gmd:" not in page
    _get(client, "/admin/quarantine/999999", status=404)


def test_approve_a_held_retirement(fresh: tuple[Flask, Runtime]) -> None:
    app, runtime = fresh
    client = app.test_client()
    [review] = runtime.store.retirement_reviews("pending")
    html = _get(client, "/admin/retirements")
    for record_id in review["record_ids"]:
        assert record_id in html
    assert "3 of 4 active records" in _text(html)
    location = _post(client, f"/admin/retirements/{review['id']}/approve", {})
    assert "done=approved" in location and "retired=3" in location
    assert runtime.store.retirement_reviews("pending") == []
    retired = {r["id"] for r in runtime.store.retired_records(LEGACY)}
    assert retired == set(review["record_ids"])
    kept = [r for r in runtime.store.iter_records() if r.provenance.source_id == LEGACY]
    assert len(kept) == 1  # the one record the portal still publishes stays
    assert kept[0].id not in review["record_ids"]
    _post(client, f"/admin/retirements/{review['id']}/approve", {}, status=409)


def test_reject_a_held_retirement(fresh: tuple[Flask, Runtime]) -> None:
    app, runtime = fresh
    client = app.test_client()
    [review] = runtime.store.retirement_reviews("pending")
    location = _post(client, f"/admin/retirements/{review['id']}/reject", {})
    assert "done=rejected" in location
    assert runtime.store.retired_records(LEGACY) == []
    assert "rejected" in _get(client, "/admin/retirements?status=all")
