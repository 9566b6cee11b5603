"""The search, home and record pages over the hand-built catalogue of tests/api/conftest.py
(six records, two sources; 'eau' matches four), through the Flask test client: what each
page shows, that every link keeps the state in the URL, and that bad input is a page that
says what to fix."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from flask import Flask
from flask.ctx import RequestContext
from flask.testing import FlaskClient

from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import ApiSettings, Settings
from moisson.config_webui import WebUiSettings
from moisson.record import BBox, Keyword, Record, ThemeEvidence
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.api.conftest import OPEN
from webui.i18n import has
from webui.record_page import evidence_sentence
from webui.site import content_security_policy


def _html(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[-2000:]
    assert response.mimetype == "text/html"
    return html


def _hit_titles(html: str) -> list[str]:
    return re.findall(r'<h3 id="hit-[^"]+"><a href="/records/[^"]+">([^<]+)</a>', html)


def test_home_shows_a_tile_per_top_theme_linking_to_its_search(client: FlaskClient) -> None:
    html = _html(client, "/")
    tiles = re.findall(r'class="theme-tile theme-([\w-]+)" href="/search\?theme=([\w-]+)"', html)
    assert ("water", "water") in tiles and ("biodiversity", "biodiversity") in tiles
    assert all(css == theme for css, theme in tiles)
    assert "6 records from every harvested catalogue" in html
    assert 'href="/themes.css"' in html


def test_theme_colours_come_from_a_stylesheet(client: FlaskClient) -> None:
    response = client.get("/themes.css")
    assert response.mimetype == "text/css"
    assert ".theme-water { --theme-colour: #0b5cad; }" in response.get_data(as_text=True)


def test_the_search_box_completes_from_the_index(client: FlaskClient) -> None:
    html = _html(client, "/search/suggest?q=zon")
    assert '<option value="zones humides">' in html


def test_text_search_shows_highlighted_hits_with_organisation_and_source(
    client: FlaskClient,
) -> None:
    html = _html(client, "/search?q=eau")
    assert "4 results" in html
    assert len(_hit_titles(html)) == 4
    assert "<mark>" in html  # the backend's highlighting is kept, and only that
    assert "Agence de l&#39;eau" in html  # organisation of the open-data record
    assert "GéoPortail" in html  # the source's configured name
    assert "<title>“eau”: search results · Moisson</title>" in html


def test_facet_links_toggle_a_filter_and_keep_the_rest(client: FlaskClient) -> None:
    html = _html(client, "/search?q=eau")
    link = re.search(rf'<a href="(/search\?[^"]*source={OPEN}[^"]*)" class="bucket"', html)
    assert link, "no source facet link"
    url = link.group(1).replace("&amp;", "&")
    assert "q=eau" in url
    filtered = _html(client, url)
    assert sorted(_hit_titles(filtered)) == [
        "Qualité de l&#39;eau des rivières",
        "Stations météorologiques",
    ]
    assert 'class="bucket selected" aria-current="true"' in filtered
    back = re.search(r'<a href="([^"]*)" class="bucket selected"', filtered)
    assert back is not None and f"source={OPEN}" not in back.group(1)


def test_the_area_works_as_four_plain_inputs(client: FlaskClient) -> None:
    html = _html(client, "/search?q=eau&west=3&south=42&east=7&north=47")
    assert sorted(_hit_titles(html)) == [
        "Qualité de l&#39;eau des rivières",
        "Réseau hydrographique",
    ]
    assert 'name="west" id="box-west"' in html and 'value="3"' in html


def test_an_incomplete_area_says_what_is_missing(client: FlaskClient) -> None:
    html = _html(client, "/search?q=eau&west=3", status=400)
    assert 'role="alert"' in html and "all four limits" in html
    assert 'value="eau"' in html  # the form keeps what was typed


def test_a_bad_parameter_is_a_page_with_the_apis_message(client: FlaskClient) -> None:
    html = _html(client, "/search?from=yesterday", status=400)
    assert "from must be a date as YYYY or YYYY-MM-DD" in html


def test_dates_sort_and_paging_stay_in_the_url(client: FlaskClient) -> None:
    html = _html(client, "/search?q=eau&size=2&sort=date&from=2015")
    assert "Page 1 of 2" in html
    next_link = re.search(r'<a rel="next" href="([^"]+)"', html)
    assert next_link is not None
    url = next_link.group(1).replace("&amp;", "&")
    assert all(part in url for part in ("q=eau", "size=2", "sort=date", "from=2015", "page=2"))
    second = _html(client, url)
    assert "Page 2 of 2" in second
    assert '<option value="date" selected>' in second


def test_the_page_language_labels_the_results(client: FlaskClient) -> None:
    html = _html(client, "/search?q=eau&lang=fr")
    assert '<html lang="fr">' in html and "4 résultats" in html


def test_the_record_page_shows_links_grouped_and_the_wms_to_copy(
    client: FlaskClient, records: dict[str, Record]
) -> None:
    html = _html(client, f"/records/{records['zh-bzh'].id}")
    assert '<h1 id="record-title">Zones humides de Bretagne</h1>' in html
    view = html.index("View (web map services)")
    download = html.index("Download and data services")
    assert view < html.index("https://geo.example.org/wms") < download
    assert download < html.index("https://geo.example.org/zh.gpkg")
    assert 'readonly value="https://geo.example.org/wms"' in html
    assert "GeoPackage" in html and "west -5.2, south 47.2, east -1.0, north 48.9" in html
    assert "Raw harvested metadata" not in html  # admins only


def test_admins_get_the_raw_payload_link(
    settings: Settings, store: Store, backend: SearchBackend, records: dict[str, Record]
) -> None:
    opened = settings.model_copy(update={"api": ApiSettings(admin_open=True)})
    client = create_app(Runtime(opened, store=store, backend=backend)).test_client()
    record_id = records["zh-bzh"].id
    html = _html(client, f"/records/{record_id}")
    assert f'href="/api/records/{record_id}?raw=1"' in html


def test_an_unknown_record_is_a_404_page(client: FlaskClient) -> None:
    html = _html(client, "/records/nope", status=404)
    assert "no record with id" in html


def test_similar_records_leave_out_the_record_itself(
    client: FlaskClient, records: dict[str, Record]
) -> None:
    html = _html(client, f"/records/{records['hydro'].id}")
    similar = html[html.index('id="similar-title"') :]
    assert f'/records/{records["hydro"].id}"' not in similar
    assert "Zones humides de Bretagne" in similar  # shares "cours d'eau" words


def test_each_evidence_kind_reads_as_a_sentence() -> None:
    label = ThemeEvidence(
        step="label",
        field="keyword",
        matched="hydrographie",
        target="skos:prefLabel@fr 'Hydrographie'",
    )
    with create_app_context():
        assert evidence_sentence("Water", label) == (
            "Filed under Water because the keyword “hydrographie” matches its label “Hydrographie”."
        )
        for step in ("uri", "label", "rule", "text"):
            assert has(f"record.evidence.{step}")


def test_tiles_from_config_open_the_policy_to_their_host_only() -> None:
    policy = content_security_policy("https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://*.tiles.example.org;" in policy
    assert "img-src 'self' data:;" in content_security_policy(None)


def test_a_tile_url_must_be_an_xyz_template() -> None:
    with pytest.raises(ValueError, match="XYZ template"):
        WebUiSettings(tile_url="https://tiles.example.org/tile.png")


@pytest.mark.parametrize("family", ["search.box.", "search.sort_by.", "search.facet."])
def test_keys_built_in_templates_exist(family: str) -> None:
    names = {
        "search.box.": ("west", "south", "east", "north"),
        "search.sort_by.": ("relevance", "date", "title"),
        "search.facet.": (
            "theme",
            "organisation",
            "source",
            "keyword",
            "resource_type",
            "format",
            "year",
        ),
    }[family]
    assert all(has(family + name) for name in names)


def create_app_context() -> RequestContext:
    """A request context for helpers that read the page language (English)."""
    return Flask(__name__).test_request_context("/")


def test_harvested_markup_stays_text(
    client: FlaskClient, backend: SearchBackend, records: dict[str, Record]
) -> None:
    hostile = Record.new(
        OPEN,
        "hostile",
        title='<img src=x onerror="alert(1)">Captages',
        abstract="<script>alert(1)</script> captages d'eau potable </script><b>gras</b>",
        keywords=[Keyword(label="<i>captage</i>")],
        bboxes=[BBox(west=1, south=45, east=2, north=46)],  # its title goes to the map data
    )
    backend.index([hostile])
    html = _html(client, "/search?q=potable")
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>gras" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<mark>potable</mark>" in html  # the highlighting itself is markup
    data = html[html.index('id="map-data">') : html.index("</script>", html.index("map-data"))]
    assert "Captages" in data and "<" not in data.removeprefix('id="map-data">')


def test_the_record_page_links_the_qgis_projects_that_hold_its_layer(
    client: FlaskClient, records: dict[str, Record]
) -> None:
    html = _html(client, f"/records/{records['zh-bzh'].id}")
    projects = re.findall(r'href="(/qgis/projects/[^"]+)"', html)
    assert projects, "a record with a WMS layer links its QGIS project"
    for url in projects:
        answer = client.get(url)
        assert answer.status_code == 200, url  # a project that really exists
        with zipfile.ZipFile(io.BytesIO(answer.data)) as qgz:
            (qgs,) = qgz.namelist()
            assert "https://geo.example.org/wms" in qgz.read(qgs).decode()


def test_no_qgis_link_when_the_qgis_output_is_off(
    settings: Settings, store: Store, backend: SearchBackend, records: dict[str, Record]
) -> None:
    off = settings.model_copy(update={"qgis": settings.qgis.model_copy(update={"enabled": False})})
    client = create_app(Runtime(off, store=store, backend=backend)).test_client()
    html = _html(client, f"/records/{records['zh-bzh'].id}")
    assert "/qgis/projects/" not in html


def test_filters_in_force_each_have_a_remove_link(client: FlaskClient) -> None:
    html = _html(client, f"/search?q=eau&source={OPEN}&west=3&south=42&east=7&north=47")
    chips = re.findall(r'<ul class="active-filters".*?</ul>', html, flags=re.S)
    assert chips
    links = dict(
        (label.strip(), href.replace("&amp;", "&"))
        for href, label in re.findall(r'<a href="([^"]+)">([^<]+)<span', chips[0])
    )
    assert set(links) == {f"Source: {OPEN}", "Area 3,42,7,47"}  # the source has no name
    assert "source=" not in links[f"Source: {OPEN}"] and "bbox=3" in links[f"Source: {OPEN}"]
    assert "bbox" not in links["Area 3,42,7,47"] and f"source={OPEN}" in links["Area 3,42,7,47"]
