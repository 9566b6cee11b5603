"""What every web page gets from the skeleton (webui/site.py): language choice, HTML error
pages, a strict CSP, CSRF on unsafe methods, the API's identity with a 403 page for
non-admins. Flask test client over the real app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import AuthSettings, Settings
from pipeline.runtime import Runtime
from search_api.app import create_app
from webui import site
from webui.csrf import COOKIE, FIELD, HEADER, csrf_field
from webui.identity import require_admin_page
from webui.pages import page_blueprint

ADMIN = {"sec-username": "ada", "sec-roles": "ROLE_USER;ROLE_MOISSON_ADMIN"}
STAFF = {"sec-username": "sam", "sec-roles": "ROLE_USER"}


def _probe_blueprint() -> object:
    """A page blueprint with one form and one admin page, as the areas write them."""
    probe = page_blueprint("webui_probe", __name__, url_prefix="/probe")

    @probe.get("/form")
    def form() -> str:
        return f"<form method=post>{csrf_field()}</form>"

    @probe.post("/form")
    def submit() -> str:
        return "accepted"

    @probe.get("/admin")
    def admin_only() -> str:
        return f"hello {require_admin_page().user}"

    return probe


@pytest.fixture
def probe_client(
    settings: Settings,
    store: Store,
    backend: SearchBackend,
    monkeypatch: pytest.MonkeyPatch,
) -> FlaskClient:
    monkeypatch.setattr(site, "BLUEPRINTS", [*site.BLUEPRINTS, _probe_blueprint()])
    settings = settings.model_copy(
        update={"auth": AuthSettings(mode="georchestra", trusted_proxies=["127.0.0.1"])}
    )
    app: Flask = create_app(Runtime(settings, store=store, backend=backend))
    return app.test_client()


def _token(client: FlaskClient, path: str = "/probe/form", **headers: str) -> str:
    html = client.get(path, headers=headers).get_data(as_text=True)
    found = re.search(rf'name="{FIELD}" value="([0-9a-f]+)"', html)
    assert found, html
    return found.group(1)


def test_the_home_page_is_html_with_a_strict_policy(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert 'href="#main"' in html and 'id="main"' in html  # skip link and its target
    assert 'role="search"' in html and 'action="/search"' in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from elsewhere


@pytest.mark.parametrize(
    ("headers", "path", "expected"),
    [
        ({}, "/", "en"),
        ({"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}, "/", "fr"),
        ({"Accept-Language": "de-DE,en;q=0.5"}, "/", "en"),
        ({"Accept-Language": "fr"}, "/?lang=en", "en"),
    ],
)
def test_the_language_follows_the_browser_unless_chosen(
    client: FlaskClient, headers: dict[str, str], path: str, expected: str
) -> None:
    html = client.get(path, headers=headers).get_data(as_text=True)
    assert f'<html lang="{expected}">' in html


def test_a_chosen_language_is_remembered(client: FlaskClient) -> None:
    first = client.get("/?lang=fr")
    assert any(c.startswith("lang=fr;") for c in first.headers.getlist("Set-Cookie"))
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in html and "Rechercher" in html


def test_the_language_switch_keeps_the_page_state(client: FlaskClient) -> None:
    html = client.get("/?q=eau").get_data(as_text=True)
    assert 'href="/?q=eau&amp;lang=fr"' in html


def test_a_form_post_needs_the_token(probe_client: FlaskClient) -> None:
    token = _token(probe_client)
    missing = probe_client.post("/probe/form", data={})
    assert missing.status_code == 400 and missing.mimetype == "text/html"
    assert "missing CSRF token" in missing.get_data(as_text=True)
    wrong = probe_client.post("/probe/form", data={FIELD: "0" * 64})
    assert wrong.status_code == 400
    assert "invalid CSRF token" in wrong.get_data(as_text=True)
    ok = probe_client.post("/probe/form", data={FIELD: token})
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "accepted"


def test_htmx_sends_the_token_as_a_header(probe_client: FlaskClient) -> None:
    html = probe_client.get("/").get_data(as_text=True)
    token = re.search(r'"X-CSRF-Token": "([0-9a-f]+)"', html)
    assert token
    assert probe_client.post("/probe/form", headers={HEADER: token.group(1)}).status_code == 200


def test_a_token_is_bound_to_its_cookie_and_user(probe_client: FlaskClient) -> None:
    token = _token(probe_client, **STAFF)
    # Another user with the same browser cookie: refused.
    other = probe_client.post("/probe/form", data={FIELD: token}, headers=ADMIN)
    assert other.status_code == 400
    # The same user from a browser without the cookie (another site's forged form): refused.
    probe_client.delete_cookie(COOKIE)
    assert probe_client.post("/probe/form", data={FIELD: token}, headers=STAFF).status_code == 400


@pytest.mark.parametrize("headers", [{}, STAFF])
def test_admin_pages_answer_403_pages_to_everyone_else(
    probe_client: FlaskClient, headers: dict[str, str]
) -> None:
    response = probe_client.get("/probe/admin", headers=headers)
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "for administrators" in response.get_data(as_text=True)


def test_admins_see_admin_pages(probe_client: FlaskClient) -> None:
    response = probe_client.get("/probe/admin", headers=ADMIN)
    assert response.status_code == 200 and response.get_data(as_text=True) == "hello ada"


def test_the_api_keeps_its_json_errors(client: FlaskClient) -> None:
    response = client.get("/api/records/nope")
    assert response.status_code == 404 and response.is_json


def test_static_files_are_ours(client: FlaskClient) -> None:
    for name in ("css/site.css", "js/site.js", "favicon.svg"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        response.close()
    for path in Path(site.STATIC_DIR).rglob("*"):
        if path.is_file() and "vendor" not in path.parts:
            text = path.read_text(encoding="utf-8")
            assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text
