"""The search page is plain local files: no CDN, no framework, hostile text kept inert."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from search_api.ui import STATIC_DIR


def test_the_page_is_served_with_a_strict_policy(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    response.close()
    assert 'role="search"' in html
    assert "/static/app.js" in html and "/static/style.css" in html
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_assets_are_local_and_served(client: FlaskClient) -> None:
    for name, mimetype in (("app.js", "text/javascript"), ("style.css", "text/css")):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert response.mimetype == mimetype
        response.close()
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path.name
        assert "@import" not in text and "url(http" not in text, path.name


def test_only_the_snippet_is_inserted_as_html() -> None:
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert re.findall(r"\.(?:innerHTML|outerHTML)\s*=.*", script) == [
        ".innerHTML = hit.snippet; // escaped by the backend; only <mark> inside"
    ]
    assert "insertAdjacentHTML" not in script and "document.write" not in script


def test_link_badges_only_for_web_urls() -> None:
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert '["http:", "https:", "ftp:"].includes(parsed.protocol)' in script
