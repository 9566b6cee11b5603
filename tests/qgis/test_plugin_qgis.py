"""The Moisson search plugin in real QGIS (Debian's 3.22, system python3, offscreen).

The plugin zip `moisson qgis plugin-zip` builds is unzipped and loaded with qgis.utils as
QGIS loads plugins; the dock then searches a live `moisson serve` (tests/qgis/catalogue.py)
the way a user does it (tests/qgis/plugin_driver.py), and every number the dock shows is
compared with what the API answers for the same request. The Add-to-map step uses a WMS
that the test serves on loopback (testkit.loopback_wms): the layer must be valid, come from
the wms provider and render the WMS's colour. scripts/test.sh installs QGIS; without it the
tests skip (and fail under CI).
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from qgis_plugin.plugin_zip import build_zip
from testkit.loopback_wfs import LoopbackWfs, serve_wfs
from testkit.loopback_wms import FILL, LoopbackWms, serve_wms
from testkit.loopback_wmts import LoopbackWmts, serve_wmts
from testkit.ports import free_port
from testkit.pygeoapi_server import PygeoapiError, PygeoapiServer
from testkit.qgis_driver import qgis_importable, run_driver
from tests.conftest import ROOT, require
from tests.qgis.catalogue import (
    FEATURES_COLLECTION,
    FEATURES_TITLE,
    LOOPBACK_TITLE,
    TILES_TITLE,
    WFS_TITLE,
    LiveMoisson,
    live_moisson,
    wetland_features,
)

pytestmark = pytest.mark.integration

Served = tuple[LiveMoisson, LoopbackWms, LoopbackWmts, LoopbackWfs]

DRIVER = Path(__file__).with_name("plugin_driver.py")
TEXT = "camargue"
TYPED = "camar"
MISSPELT = "camarque"
SCREENSHOT = ROOT / "docs" / "screenshots" / "qgis-plugin.png"
ARTIFACTS = ROOT / "var" / "artifacts"


@pytest.fixture(scope="module")
def qgis() -> None:
    require(
        qgis_importable("qgis.core", "qgis.gui", "qgis.utils"),
        "QGIS not installed for /usr/bin/python3 "
        "(apt-get install qgis python3-qgis; scripts/test.sh does it)",
    )


@pytest.fixture(scope="module")
def features_server() -> Iterator[PygeoapiServer | None]:
    """pygeoapi serving three polygons for the OGC API Features step; None when it cannot
    be installed (that step then skips, and fails under CI)."""
    try:
        with PygeoapiServer(wetland_features(), collection=FEATURES_COLLECTION) as server:
            yield server
    except PygeoapiError:
        yield None


@pytest.fixture(scope="module")
def served(
    qgis: None,
    features_server: PygeoapiServer | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("qgis-plugin-catalogue")
    features_url = features_server.url if features_server is not None else None
    with (
        serve_wms() as wms,
        serve_wmts() as wmts,
        serve_wfs() as wfs,
        live_moisson(
            tmp,
            wms.url,
            wms.layer,
            features_url,
            (wmts.url, wmts.layer),
            (wfs.url, wfs.type_name),
        ) as live,
    ):
        yield live, wms, wmts, wfs


@pytest.fixture(scope="module")
def plugins_dir(qgis: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin as a user installs it: the built zip, unzipped into a plugins folder."""
    folder = tmp_path_factory.mktemp("qgis-plugins")
    built = build_zip(folder / "moisson_search.zip")
    with zipfile.ZipFile(built) as archive:
        archive.extractall(folder / "plugins")
    return folder / "plugins"


def api(live: LiveMoisson, path: str, token: str | None = None, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.get(f"{live.url}{path}", params=params, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def a_theme_narrowing(live: LiveMoisson, text: str) -> tuple[str, int]:
    """A top-level theme holding some but not all of the records found for `text`."""
    total = api(live, "/api/search", q=text, size=0)["total"]
    themes = api(live, "/api/themes", q=text)["themes"]
    for theme in themes:
        if 0 < theme["count"] < total:
            return theme["id"], theme["count"]
    raise AssertionError(f"no theme narrows {text!r}: {themes}")


def drive(
    plugins: Path, tmp: Path, plan: dict[str, Any], command: list[str] | None = None
) -> dict[str, Any]:
    home = tmp / "home"  # QgsSettings, the auth database and profiles land here, not in ~
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    (home / "auth").mkdir()
    auth = {
        "QGIS_AUTH_DB_DIR_PATH": str(home / "auth"),
        "QGIS_CUSTOM_CONFIG_PATH": str(home / "qgis"),
    }
    result: dict[str, Any] = run_driver(
        DRIVER, [str(plugins), json.dumps(plan)], home, wrapper=command or (), extra_env=auth
    )
    assert "fatal" not in result, result["fatal"]
    return result


def plan_for(live: LiveMoisson, not_moisson: str) -> dict[str, Any]:
    theme, _ = a_theme_narrowing(live, TEXT)
    return {
        "not_moisson_url": not_moisson,
        "unreachable_url": f"http://127.0.0.1:{free_port()}",
        "url": live.url,
        "token": live.token,
        "master_password": "test-master-password",
        "typed": TYPED,
        "misspelt": MISSPELT,
        "text": TEXT,
        "theme": theme,
        "source": "samples",
        "restricted": "loopback rivers",
        "extra_layers": [
            {"key": "features", "text": "loopback wetland features"},
            {"key": "tiles", "text": "loopback orthophoto tiles"},
            {"key": "wfs", "text": "loopback marsh features"},
        ],
    }


@pytest.fixture(scope="module")
def shown(
    served: Served,
    plugins_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    live, wms, *_ = served
    return drive(plugins_dir, tmp_path_factory.mktemp("qgis-run"), plan_for(live, wms.url))


def test_the_plugin_loads_and_starts_as_qgis_loads_plugins(
    shown: dict[str, Any], plugins_dir: Path
) -> None:
    assert shown["available"] and shown["loaded"] and shown["started"] and shown["active"]
    assert shown["module_file"].startswith(str(plugins_dir))  # the unzipped copy
    assert shown["metadata"] == {
        "name": "Moisson search",
        "qgisMinimumVersion": "3.22",
        "icon": "icon.png",
        "category": "Web",
    }
    assert shown["web_menu"] == ["Moisson search", "Moisson search settings..."]
    assert shown["dock_visible"] is True
    assert shown["unloaded"] is True and shown["web_menu_after_unload"] == []


def test_the_dock_lists_what_the_api_finds(shown: dict[str, Any], served: Served) -> None:
    live, *_ = served
    everything = api(live, "/api/search", size=20)
    assert shown["first_ok"] is True
    assert shown["all"]["total"] == everything["total"] > 0
    assert [h["id"] for h in shown["all"]["hits"]] == [h["id"] for h in everything["hits"]]
    # More results: the next page appended (the samples are more than one page of 20).
    assert shown["more_visible"] is True and shown["more_ok"] is True
    second = api(live, "/api/search", size=20, page=2)
    assert [h["id"] for h in shown["after_more"]["hits"]] == [
        h["id"] for h in everything["hits"] + second["hits"]
    ]
    assert len(shown["after_more"]["hits"]) == min(40, everything["total"])
    assert shown["more_visible_after"] is (everything["total"] > 40)
    first = everything["hits"][0]
    assert shown["all"]["items"][0].startswith(first["title"])
    assert ", ".join(first["source_names"]) in shown["all"]["items"][0]

    found = api(live, "/api/search", q=TEXT, size=20)
    assert shown["text_ok"] is True
    assert shown["text"]["total"] == found["total"] > 0
    assert [h["id"] for h in shown["text"]["hits"]] == [h["id"] for h in found["hits"]]
    assert shown["text"]["status"].startswith(f"{found['total']} records")
    # Asynchronous, through QGIS's network manager (its proxy and SSL settings apply).
    assert shown["status_right_after_enter"] == "Searching..."
    paths = sorted(urlsplit(url).path for url in shown["text_requests"])
    assert paths == ["/api/search", "/api/themes"]
    assert all(url.startswith(live.url) for url in shown["text_requests"])

    corrected = api(live, "/api/search", q=MISSPELT, size=20)
    assert corrected["corrected"] is True and corrected["suggestion"] == TEXT
    assert shown["misspelt_ok"] is True
    assert shown["misspelt"]["total"] == corrected["total"] == found["total"]
    assert shown["misspelt"]["status"].endswith(f"(searched for \u201c{TEXT}\u201d)")

    assert shown["suggest_ok"] is True
    suggested = api(live, "/api/suggest", q=TYPED, size=10)["suggestions"]
    assert shown["suggestions"] == suggested and suggested
    assert shown["completer_rows"] == len(suggested)


def test_the_theme_tree_has_the_api_counts_and_a_click_filters(
    shown: dict[str, Any], served: Served
) -> None:
    live, *_ = served
    tree = api(live, "/api/themes")["themes"]
    top = [(t["id"], t["count"]) for t in tree if t["count"] > 0]
    assert [(t["id"], t["count"]) for t in shown["themes"] if t["depth"] == 0] == top

    theme, count = a_theme_narrowing(live, TEXT)
    assert shown["theme_in_tree"] and shown["theme_count_in_tree"] == count
    assert shown["theme_ok"] is True
    filtered = api(live, "/api/search", q=TEXT, theme=theme, size=20)
    assert shown["theme"]["total"] == filtered["total"] == count
    assert [h["id"] for h in shown["theme"]["hits"]] == [h["id"] for h in filtered["hits"]]
    assert shown["clear_visible"] is True and shown["cleared_ok"] is True


def test_a_facet_tick_filters(shown: dict[str, Any]) -> None:
    assert shown["facets"]["Source"] >= 1
    assert shown["facet_ok"] is True
    assert shown["facet"]["total"] == shown["facet_count"] > 0
    assert shown["cleared_facet_ok"] is True


def test_the_token_is_kept_in_the_auth_database_and_opens_restricted_records(
    shown: dict[str, Any],
) -> None:
    assert shown["anonymous_ok"] is True and shown["anonymous"]["total"] == 0
    assert shown["token_ok"] is True
    assert [h["title"] for h in shown["with_token"]["hits"]] == [LOOPBACK_TITLE]
    assert shown["authcfg"] and shown["token_in_settings_file"] is False
    assert "Loopback WMS" in shown["details"] and "WMS: sample_rivers" in shown["details"]


def test_open_record_hands_the_record_url_to_the_browser(
    shown: dict[str, Any], served: Served
) -> None:
    live, *_ = served
    [hit] = shown["with_token"]["hits"]
    assert shown["opened"] == [f"{live.url}/records/{hit['id']}"]


def test_add_to_map_adds_a_valid_wms_layer_that_renders(
    shown: dict[str, Any], served: Served
) -> None:
    _, wms, *_ = served
    assert shown["add_enabled"] is True
    assert shown["add_ok"] is True, shown["add_errors"]
    layer = shown["layer"]
    assert layer["valid"] is True and layer["provider"] == "wms" and layer["in_tree"] is True
    assert layer["name"] == LOOPBACK_TITLE
    assert f"url={wms.url}" in layer["source"] and f"layers={wms.layer}" in layer["source"]
    assert "REQUEST" not in layer["source"].upper().replace("REQUESTS", "")
    assert layer["pixel"] == list(FILL)
    assert wms.get_map_requests(), "QGIS never asked the loopback WMS for a map"
    assert any(LOOPBACK_TITLE in text for text in shown["bar_after_add"])


def test_add_to_map_adds_an_ogc_api_features_layer(
    shown: dict[str, Any], features_server: PygeoapiServer | None
) -> None:
    require(features_server is not None, "pygeoapi could not be installed (needs PyPI once)")
    assert features_server is not None
    step = shown["features"]
    assert step["search_ok"] is True and step["hits"][0]["title"] == FEATURES_TITLE
    assert step["add_ok"] is True
    layer = step["layer"]
    assert layer["valid"] is True and layer["provider"] == "OAPIF"
    assert len(layer["features"]) == len(wetland_features())
    assert f"url='{features_server.url}'" in layer["source"]
    assert f"typename='{FEATURES_COLLECTION}'" in layer["source"]
    items = f"/collections/{FEATURES_COLLECTION}/items"
    assert any(r["path"].rstrip("/") == items for r in features_server.requests())


def test_add_to_map_adds_a_wmts_layer_with_the_tiling_of_its_capabilities(
    shown: dict[str, Any], served: Served
) -> None:
    _, _, wmts, _ = served
    step = shown["tiles"]
    assert step["search_ok"] is True and step["hits"][0]["title"] == TILES_TITLE
    assert step["add_ok"] is True
    layer = step["layer"]
    assert layer["valid"] is True and layer["provider"] == "wms"
    assert layer["crs"] == "EPSG:3857"
    for part in (
        f"layers={wmts.layer}",
        f"tileMatrixSet={wmts.matrix_set}",
        "styles=default",
        f"url={wmts.url}",
    ):
        assert part in layer["source"]
    assert layer["pixel"] == list(FILL)
    assert {r["TILEMATRIXSET"] for r in wmts.tile_requests()} == {wmts.matrix_set}


def test_add_to_map_adds_a_wfs_layer_and_reads_its_features(
    shown: dict[str, Any], served: Served
) -> None:
    *_, wfs = served
    step = shown["wfs"]
    assert step["search_ok"] is True and step["hits"][0]["title"] == WFS_TITLE
    assert step["add_ok"] is True
    layer = step["layer"]
    assert layer["valid"] is True and layer["provider"] == "WFS"
    assert len(layer["features"]) == wfs.features
    assert f"url='{wfs.url}'" in layer["source"]
    assert f"typename='{wfs.type_name}'" in layer["source"]
    assert wfs.get_feature_requests(), "QGIS never asked the loopback WFS for features"


def test_a_refused_token_is_a_message_in_the_message_bar(shown: dict[str, Any]) -> None:
    assert shown["bad_token_ok"] is False  # the search failed...
    message = "Moisson answered 401: unknown or revoked API token"
    assert len(shown["errors"]) == 1 and shown["errors"][0].startswith(message)
    assert [text for text in shown["bar"] if text.startswith(message)] == shown["errors"]


def test_a_screenshot_of_the_dock_with_results_under_xvfb(
    served: Served, plugins_dir: Path, tmp_path: Path
) -> None:
    """The same scenario on a real X server (xvfb-run), saving the window with the dock and
    the added layers: var/artifacts/qgis-plugin.png for CI, and docs/screenshots/ when it
    is missing or UPDATE_DOCS_SCREENSHOTS=1."""
    xvfb = shutil.which("xvfb-run")
    require(
        xvfb is not None, "xvfb-run not installed (apt-get install xvfb xauth; scripts/test.sh)"
    )
    assert xvfb is not None
    live, wms, *_ = served
    picture = tmp_path / "qgis-plugin.png"
    plan = {**plan_for(live, wms.url), "screenshot": str(picture), "screenshot_text": TEXT}
    shown = drive(plugins_dir, tmp_path, plan, [xvfb, "-a", "-s", "-screen 0 1400x900x24"])
    assert shown["platform"] == "xcb"  # a real X server, not the offscreen platform
    assert shown["screenshot_search_ok"] is True and shown["screenshot_saved"] is True
    assert shown["layer"]["valid"] is True
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 800)
    # Always the CI artefact; the docs copy when missing or asked for (a message bar's
    # countdown and the vector layers' drawing vary by a few pixels from run to run, and a
    # test run should not leave the checkout modified).
    targets = [ARTIFACTS / SCREENSHOT.name]
    if not SCREENSHOT.exists() or os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        targets.append(SCREENSHOT)
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(picture, target)


def test_wrong_addresses_are_messages_and_a_bad_url_is_not_saved(
    shown: dict[str, Any], served: Served
) -> None:
    _, wms, *_ = served
    assert shown["not_moisson"] == [
        f"{wms.url} answered 400 without Moisson's JSON (is it the address of a Moisson server?)"
    ]
    [unreachable] = shown["unreachable"]
    assert unreachable.startswith("Moisson could not be reached at http://127.0.0.1:")
    assert shown["refused_url_warnings"] == [
        "the Moisson URL must start with http:// or https:// ('ftp://example.org/moisson')"
    ]
    assert shown["url_after_refusal"] != "ftp://example.org/moisson"
