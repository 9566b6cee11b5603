"""GET /dashboard through the real app (Flask test client, real SQLite store and index):
admins only, figures in tables that match the store, the period selector, both languages,
and the searches made through the API counted without personal data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from lxml import html

from indexer.backends import build_backend
from indexer.store import Store
from moisson.config import Settings
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.api.conftest import load_catalogue

ADMIN = {"sec-username": "ada", "sec-roles": "ROLE_USER;ROLE_MOISSON_ADMIN"}
STAFF = {"sec-username": "sam", "sec-roles": "ROLE_USER"}


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(
        store={"url": f"sqlite:///{tmp_path / 'store.db'}"},
        index={"url": f"sqlite:///{tmp_path / 'index.db'}"},
        auth={"mode": "georchestra", "trusted_proxies": ["127.0.0.1"]},
        search_log={"flush_seconds": 3600},
        sources=[
            {
                "id": "geo",
                "kind": "csw",
                "url": "https://geo.example.org/csw",
                "name": "GéoPortail",
            },
            {"id": "opendata", "kind": "csw", "url": "https://data.example.org/csw"},
        ],
    )
    backend = build_backend(settings.index.url)
    backend.open()
    with Store(settings.store.url) as store:
        load_catalogue(store, backend)
        failed = store.begin_run("opendata")
        store.finish_run(failed, status="failed", complete=False, message="timeout")
        opened = Runtime(settings, store=store, backend=backend)
        yield opened
        opened.close()
    backend.close()


@pytest.fixture
def client(runtime: Runtime) -> FlaskClient:
    return create_app(runtime).test_client()


def _page(client: FlaskClient, path: str = "/dashboard", **headers: str) -> html.HtmlElement:
    response = client.get(path, headers={**ADMIN, **headers})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/html")
    return html.fromstring(response.get_data(as_text=True))


def _table(page: html.HtmlElement, table_id: str) -> list[list[str]]:
    [table] = page.xpath(f'//table[@id="{table_id}"]')
    return [
        [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
        for row in table.xpath(".//tr")
    ]


@pytest.mark.parametrize("who", [{}, STAFF])
def test_anonymous_and_staff_get_a_403_page(client: FlaskClient, who: dict[str, str]) -> None:
    response = client.get("/dashboard", headers=who)
    assert response.status_code == 403
    assert response.content_type.startswith("text/html")
    assert "administrators" in response.get_data(as_text=True)


def test_the_nav_shows_the_dashboard_to_admins_only(client: FlaskClient) -> None:
    admin = client.get("/", headers=ADMIN).get_data(as_text=True)
    staff = client.get("/", headers=STAFF).get_data(as_text=True)
    assert 'href="/dashboard"' in admin
    assert 'href="/dashboard"' not in staff


def test_figures_match_the_store(client: FlaskClient) -> None:
    page = _page(client)
    assert page.xpath("string(/html/@lang)") == "en"
    assert page.findtext(".//title").startswith("Activity dashboard")
    assert page.xpath('string(//*[@id="total-records"])') == "6"
    assert page.xpath('normalize-space(//*[@id="total-runs"])') == "3 (of which failed 1)"
    coverage = _table(page, "coverage-table")
    assert coverage[0][:2] == ["Source", "Active records"]
    assert [row[:2] for row in coverage[1:]] == [["GéoPortail", "3"], ["opendata", "3"]]
    by_source = _table(page, "records-by-source-table")
    assert by_source[0] == ["Day", "GéoPortail", "opendata"]
    assert len(by_source) == 1 + 30  # a row per day of the default period
    assert by_source[-1][1:] == ["3", "3"]  # everything was harvested today
    runs = _table(page, "runs-table")
    assert runs[0] == ["Day", "Complete or unchanged", "Partial", "Failed or interrupted"]
    assert runs[-1][1:] == ["2", "0", "1"]


def test_each_chart_has_its_data_for_the_canvas_and_a_table(client: FlaskClient) -> None:
    page = _page(client)
    data = json.loads(page.xpath('string(//script[@id="dashboard-data"])'))
    canvases = page.xpath("//canvas[@data-chart]")
    assert sorted(c.get("data-chart") for c in canvases) == sorted(data)
    for canvas in canvases:
        chart = data[canvas.get("data-chart")]
        table = _table(page, f"{canvas.get('data-chart')}-table")
        assert len(table) == 1 + len(chart["labels"])
        assert canvas.getparent().get("hidden") is not None  # shown by dashboard.js only
        assert "table below" in canvas.get("aria-label")
    scripts = [s.get("src") for s in page.xpath("//script[@src]")]
    assert "/static/vendor/chart.umd.min.js" in scripts
    assert not page.xpath("//script[not(@src) and not(@type='application/json')]")  # CSP


def test_searches_through_the_api_show_without_personal_data(
    client: FlaskClient, runtime: Runtime
) -> None:
    for q in ("eau", "Eau", "zzzz", "jean.dupont@example.org eau"):
        assert client.get("/api/search", query_string={"q": q}, headers=STAFF).status_code == 200
    filtered = client.get("/api/search", query_string={"q": "eau", "theme": "water"}, headers=STAFF)
    assert filtered.status_code == 200
    assert runtime.search_log is not None
    runtime.search_log.flush()
    page = _page(client)
    top = _table(page, "top-searches")
    assert top[1][:2] == ["eau", "4"]  # 'Eau', the filtered one and the e-mail's count
    assert _table(page, "filters-used")[1:] == [["theme", "1"]]
    assert ["zzzz", "1", "1"] in _table(page, "no-result-searches")
    text = page.text_content()
    assert "dupont" not in text and "example.org" not in text and "sam" not in text.split()


def test_the_period_selector(client: FlaskClient) -> None:
    page = _page(client, "/dashboard?days=365")
    assert page.xpath('string(//select[@name="days"]/option[@selected]/@value)') == "365"
    assert [o.get("value") for o in page.xpath('//select[@name="days"]/option')] == [
        "7", "30", "90", "365",
    ]  # fmt: skip
    by_source = _table(page, "records-by-source-table")
    assert by_source[0][0] == "Month"
    assert re.fullmatch(r"\d{4}-\d{2}", by_source[-1][0])
    assert _table(_page(client, "/dashboard?days=90"), "runs-table")[0][0] == "Week from"


@pytest.mark.parametrize("days", ["12", "abc", "-7", ""])
def test_a_bad_period_is_a_clear_400_page(client: FlaskClient, days: str) -> None:
    response = client.get(f"/dashboard?days={days}", headers=ADMIN)
    assert response.status_code == 400
    assert response.content_type.startswith("text/html")
    assert "days must be one of 7, 30, 90, 365" in response.get_data(as_text=True)


def test_in_french(client: FlaskClient) -> None:
    page = _page(client, "/dashboard?lang=fr")
    assert page.xpath("string(/html/@lang)") == "fr"
    assert page.findtext(".//h1") == "Tableau de bord de l'activité"
    assert _table(page, "records-by-source-table")[0][0] == "Jour"
    assert page.xpath('normalize-space(//*[@id="total-with-themes"])').endswith("%")


def test_the_web_search_page_is_counted_and_record_pages_are_not(
    client: FlaskClient, runtime: Runtime
) -> None:
    assert client.get("/search", query_string={"q": "Réseau hydrographique"}).status_code == 200
    hit = runtime.store.iter_records().__next__()
    assert client.get(f"/records/{hit.id}", headers=ADMIN).status_code == 200  # similar records
    assert runtime.search_log is not None
    runtime.search_log.flush()
    assert [(r["query"], r["searches"]) for r in runtime.store.search_log_rows()] == [
        ("réseau hydrographique", 1)
    ]
