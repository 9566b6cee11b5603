"""Only admins reach the workbench: every route of the admin blueprint, GET and POST,
taken from the app's url_map (so a new route cannot escape), answers 403 to an anonymous
caller and to a signed-in non-admin, even with a valid CSRF token; and every POST without
the token is refused before anything happens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from pipeline.runtime import Runtime
from tests.webui.admin_site import ADMIN, ANONYMOUS, STAFF, admin_app, token

PREFIX = "webui_admin."


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, Runtime]]:
    yield from admin_app(tmp_path_factory.mktemp("admin-access"))


def _routes(app: Flask) -> list[tuple[str, str]]:
    """(method, URL) of every admin route, placeholders filled with plausible values."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(PREFIX):
            continue
        values = {
            name: 1 if type(converter).__name__ == "IntegerConverter" else "x"
            for name, converter in rule._converters.items()
        }
        url = rule.build(values, append_unknown=False)
        assert url is not None
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, url[1]))
    return found


def test_the_walk_covers_every_admin_area(site: tuple[Flask, Runtime]) -> None:
    routes = _routes(site[0])
    paths = {path for _, path in routes}
    for area in ("/admin/", "/admin/themes", "/admin/duplicates", "/admin/harvesting",
                 "/admin/quarantine", "/admin/retirements", "/admin/thesaurus"):  # fmt: skip
        assert area in paths
    assert sum(1 for method, _ in routes if method == "POST") >= 8


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_every_admin_route_is_forbidden_to_non_admins(
    site: tuple[Flask, Runtime], who: str
) -> None:
    app, runtime = site
    headers = ANONYMOUS if who == "anonymous" else STAFF
    client = app.test_client()
    csrf = token(client, headers)
    held = runtime.store.retirement_reviews("pending")
    for method, path in _routes(app):
        response = client.open(
            path, method=method, headers={**headers, "X-CSRF-Token": csrf}, data={}
        )
        assert response.status_code == 403, (who, method, path, response.status_code)
        assert "text/html" in response.content_type
        assert "administrators" in response.get_data(as_text=True)
    # Nothing happened: the held retirement still waits.
    assert runtime.store.retirement_reviews("pending") == held


def test_admins_are_shown_the_workbench_in_the_navigation(site: tuple[Flask, Runtime]) -> None:
    client = site[0].test_client()
    assert 'href="/admin/"' in client.get("/", headers=ADMIN).get_data(as_text=True)
    assert 'href="/admin/"' not in client.get("/", headers=STAFF).get_data(as_text=True)


def test_every_admin_post_needs_the_csrf_token(site: tuple[Flask, Runtime]) -> None:
    app, runtime = site
    client = app.test_client()
    token(client, ADMIN)  # the nonce cookie is set, but the form token is not sent
    posts = [path for method, path in _routes(app) if method == "POST"]
    for path in posts:
        response = client.post(path, headers=ADMIN, data={})
        assert response.status_code == 400, (path, response.status_code)
        assert "CSRF" in response.get_data(as_text=True)
        wrong = client.post(path, headers={**ADMIN, "X-CSRF-Token": "0" * 64}, data={})
        assert wrong.status_code == 400, path
    assert len(runtime.store.retirement_reviews("pending")) == 1


def test_a_staff_token_does_not_work_for_an_admin(site: tuple[Flask, Runtime]) -> None:
    """Tokens are bound to the caller: one handed to a non-admin is refused for an admin."""
    app, runtime = site
    client = app.test_client()
    staff_token = token(client, STAFF)
    [review] = runtime.store.retirement_reviews("pending")
    response = client.post(
        f"/admin/retirements/{review['id']}/reject",
        headers={**ADMIN, "X-CSRF-Token": staff_token},
    )
    assert response.status_code == 400
    assert runtime.store.retirement_reviews("pending") == [review]


def test_every_admin_page_is_documented(site: tuple[Flask, Runtime]) -> None:
    """docs/webui-admin.md names every page (GET route) of the workbench."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "webui-admin.md").read_text(
        encoding="utf-8"
    )
    placeholder = re.compile(r"<[^>]+>")
    text = placeholder.sub("<>", doc)
    missing = [
        rule.rule
        for rule in site[0].url_map.iter_rules()
        if rule.endpoint.startswith(PREFIX) and "GET" in (rule.methods or set())
        and not re.search(re.escape("`" + placeholder.sub("<>", rule.rule)) + r"[`?]", text)
    ]  # fmt: skip
    assert missing == []
