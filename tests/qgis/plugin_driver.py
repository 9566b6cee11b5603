"""Drive the Moisson search plugin inside QGIS (run by /usr/bin/python3, not the venv).

Usage: plugin_driver.py PLUGINS_DIR SCENARIO_JSON. Loads and starts the unzipped plugin with
qgis.utils as QGIS does, in a small but real host window (QMainWindow, map canvas, message
bar, Web menu), then uses the dock as a person would: settings dialog, typing, Enter,
clicking a theme, ticking a facet, Add to map, Open record. Prints one line
`RESULT {json}` with what the widgets showed; the pytest side compares it with the API.
With `screenshot` in the scenario (run under xvfb-run), saves the window with the dock.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from qgis.core import (
    QgsApplication,
    QgsMapLayerType,
    QgsNetworkAccessManager,
    QgsNetworkRequestParameters,
    QgsProject,
    QgsRectangle,
    QgsSettings,
)
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtTest import QTest
from qgis_host import (
    Host,
    Opened,
    Watch,
    click_item,
    fill_settings,
    find_item,
    refuse_settings,
    render,
    shown,
    spin_until,
    theme_items,
)


def scenario(host: Host, plugins_dir: str, plan: dict[str, Any]) -> dict[str, Any]:
    import qgis.utils

    out: dict[str, Any] = {}
    qgis.utils.iface = host
    sys.path.insert(0, plugins_dir)
    qgis.utils.plugin_paths = [plugins_dir]
    qgis.utils.updateAvailablePlugins()
    out["available"] = "moisson_search" in qgis.utils.available_plugins
    out["metadata"] = {
        key: qgis.utils.pluginMetadata("moisson_search", key)
        for key in ("name", "qgisMinimumVersion", "icon", "category")
    }
    out["loaded"] = qgis.utils.loadPlugin("moisson_search")
    out["started"] = qgis.utils.startPlugin("moisson_search")
    out["active"] = "moisson_search" in qgis.utils.active_plugins
    plugin = qgis.utils.plugins["moisson_search"]
    out["module_file"] = sys.modules["moisson_search"].__file__
    out["web_menu"] = host.web_entries()
    host.window.resize(1280, 800)
    host.window.show()
    plugin.actions[0].trigger()  # the toolbar button shows the dock
    dock = plugin.dock
    out["dock_visible"] = dock.isVisible()
    watch = Watch(dock)
    requested: list[str] = []  # every request made through QGIS's network manager
    status_after: list[str] = []
    QgsNetworkAccessManager.instance().requestAboutToBeCreated[QgsNetworkRequestParameters].connect(
        lambda parameters: requested.append(parameters.request().url().toString())
    )

    # Settings through the dialog; accepting it runs a first search (everything).
    def open_settings(token: str = "", url: str = "") -> None:
        QTimer.singleShot(0, fill_settings(url or plan["url"], token))
        dock.settings_button.click()

    out["first_ok"] = watch.run(open_settings, "search", "themes")
    out["all"] = shown(dock)
    out["themes"] = theme_items(dock.theme_tree)
    out["more_visible"] = dock.more_button.isVisible()
    if out["more_visible"]:
        out["more_ok"] = watch.run(dock.more_button.click, "search")
        out["after_more"] = shown(dock)
        out["more_visible_after"] = dock.more_button.isVisible()
    out["facets"] = {
        dock.facet_tree.topLevelItem(i).text(0): dock.facet_tree.topLevelItem(i).childCount()
        for i in range(dock.facet_tree.topLevelItemCount())
    }

    # Suggestions while typing.
    dock.query_edit.setFocus()
    out["suggest_ok"] = watch.run(
        lambda: QTest.keyClicks(dock.query_edit, plan["typed"]), "suggest"
    )
    out["suggestions"] = watch.suggestions
    out["completer_rows"] = dock.completer.model().rowCount()

    # A text search with Enter.
    def type_and_enter(text: str) -> Callable[[], None]:
        def act() -> None:
            dock.completer.popup().hide()
            dock.query_edit.setText(text)
            QTest.keyClick(dock.query_edit, Qt.Key_Return)

        return act

    out["misspelt_ok"] = watch.run(type_and_enter(plan["misspelt"]), "search", "themes")
    out["misspelt"] = shown(dock)
    # Enter returns at once (the answer comes later, through QGIS's network manager).
    seen_before = len(requested)
    out["text_ok"] = watch.run(
        lambda: (type_and_enter(plan["text"])(), status_after.append(dock.status_label.text())),
        "search",
        "themes",
    )
    out["status_right_after_enter"] = status_after[-1]
    out["text"] = shown(dock)
    out["text_requests"] = requested[seen_before:]

    # Click a theme in the tree (the test chose one with records for this text).
    item = find_item(dock.theme_tree, plan["theme"])
    out["theme_in_tree"] = item is not None
    if item is not None:
        out["theme_count_in_tree"] = int(item.text(1))
        out["theme_ok"] = watch.run(lambda: click_item(dock.theme_tree, item), "search")
        out["theme"] = shown(dock)
        out["theme_hit_themes"] = [[t["id"] for t in h.get("themes") or []] for h in dock.hits]
        out["clear_visible"] = dock.clear_button.isVisible()
    out["cleared_ok"] = watch.run(dock.clear_button.click, "search")

    # Tick a facet value.
    dock.tabs.setCurrentWidget(dock.facet_tree)
    bucket = find_item(dock.facet_tree, plan["source"])
    if bucket is not None:
        out["facet_count"] = int(bucket.text(1))
        out["facet_ok"] = watch.run(lambda: bucket.setCheckState(0, Qt.Checked), "search")
        out["facet"] = shown(dock)
    out["cleared_facet_ok"] = watch.run(dock.clear_button.click, "search")
    dock.tabs.setCurrentWidget(dock.theme_tree)

    # The loopback record is ROLE_STAFF only: invisible without the token.
    out["anonymous_ok"] = watch.run(type_and_enter(plan["restricted"]), "search")
    out["anonymous"] = shown(dock)

    # The token, typed in the settings dialog: kept in the auth database, not the settings.
    out["token_ok"] = watch.run(lambda: open_settings(plan["token"]), "search")
    out["with_token"] = shown(dock)
    authcfg = QgsSettings().value("moisson_search/authcfg", "")
    out["authcfg"] = authcfg
    QgsSettings().sync()
    settings_file = QgsSettings().fileName()
    with open(settings_file, encoding="utf-8", errors="replace") as handle:
        out["token_in_settings_file"] = plan["token"] in handle.read()
    out["settings_file_has_authcfg"] = bool(authcfg)
    out["details"] = dock.details.toPlainText()
    out["add_enabled"] = dock.add_button.isEnabled()

    # Open record: the URL QGIS hands to the browser.
    opened = Opened()
    QDesktopServices.setUrlHandler("http", opened, "open")
    dock.open_button.click()
    spin_until(lambda: bool(opened.urls), 5)
    QDesktopServices.unsetUrlHandler("http")
    out["opened"] = opened.urls

    # Add to map: built in a QgsTask, added to the project, valid, and it renders.
    out["add_ok"] = watch.run(dock.add_button.click, "layer")
    out["add_errors"] = list(watch.errors)
    layer = QgsProject.instance().mapLayer(watch.layers[-1]) if watch.layers else None
    if layer is not None:
        out["layer"] = {
            "name": layer.name(),
            "valid": layer.isValid(),
            "provider": layer.providerType(),
            "source": layer.source(),
            "in_tree": QgsProject.instance().layerTreeRoot().findLayer(layer.id()) is not None,
            "pixel": render(layer),
        }
    out["bar_after_add"] = [item.text() for item in host.bar.items()]

    # The other kinds (OGC API Features from pygeoapi, WMTS): search, Add to map, check.
    for extra in plan.get("extra_layers", []):
        step: dict[str, Any] = {}
        step["search_ok"] = watch.run(type_and_enter(extra["text"]), "search")
        step["hits"] = shown(dock)["hits"]
        step["add_ok"] = watch.run(dock.add_button.click, "layer")
        added = QgsProject.instance().mapLayer(watch.layers[-1]) if watch.layers else None
        if added is not None and added is not layer:
            step["layer"] = {
                "name": added.name(),
                "valid": added.isValid(),
                "provider": added.providerType(),
                "source": added.source(),
                "crs": added.crs().authid(),
            }
            if added.type() == QgsMapLayerType.VectorLayer:
                # Read them all (a WFS layer knows its count only after reading).
                step["layer"]["features"] = sorted(f.id() for f in added.getFeatures())
            else:
                step["layer"]["pixel"] = render(added)
        out[extra["key"]] = step

    if plan.get("screenshot"):
        if layer is not None:
            host.canvas.setDestinationCrs(layer.crs())
        host.canvas.setExtent(QgsRectangle(-6, 40, 11, 53))
        out["screenshot_search_ok"] = watch.run(
            type_and_enter(plan["screenshot_text"]), "search", "themes"
        )
        dock.tabs.setCurrentWidget(dock.theme_tree)
        dock.theme_tree.expandToDepth(0)
        host.window.resizeDocks([dock], [560], Qt.Horizontal)
        with_layers = [
            i for i, h in enumerate(dock.hits) if "map layers" in dock.result_list.item(i).text()
        ]
        dock.result_list.setCurrentRow(with_layers[0] if with_layers else 0)
        host.canvas.refresh()
        spin_until(lambda: not host.canvas.isDrawing(), 20)
        time.sleep(0.5)
        QgsApplication.processEvents()
        out["screenshot_saved"] = host.window.grab().save(plan["screenshot"], "PNG")
        out["platform"] = QgsApplication.platformName()

    # A refused token: Moisson's 401 message in the message bar, no exception.
    out["bad_token_ok"] = watch.run(lambda: open_settings("not-a-token"), "search")
    out["errors"] = list(watch.errors)
    out["bar"] = [item.text() for item in host.bar.items()]

    # Wrong addresses: a server that is not Moisson, nothing listening, a refused URL.
    for key in ("not_moisson", "unreachable"):
        url = plan[f"{key}_url"]
        failed_before = len(watch.errors)
        watch.run(lambda url=url: open_settings(url=url), "search")
        out[key] = watch.errors[failed_before:]
    warnings: list[str] = []
    QTimer.singleShot(0, refuse_settings("ftp://example.org/moisson", warnings))
    dock.settings_button.click()
    out["refused_url_warnings"] = warnings
    out["url_after_refusal"] = QgsSettings().value("moisson_search/url", "")

    out["unloaded"] = qgis.utils.unloadPlugin("moisson_search")
    out["web_menu_after_unload"] = host.web_entries()
    return out


def main() -> None:
    plugins_dir, plan = sys.argv[1], json.loads(sys.argv[2])
    app = QgsApplication([], True)
    app.initQgis()
    manager = QgsApplication.authManager()
    if not manager.setMasterPassword(plan["master_password"], True):
        print("RESULT " + json.dumps({"fatal": "auth database master password refused"}))
        return
    host = Host()
    try:
        result = scenario(host, plugins_dir, plan)
    except Exception:  # report it: the pytest side shows the traceback
        result = {"fatal": traceback.format_exc()}
    print("RESULT " + json.dumps(result), flush=True)
    sys.stdout.flush()
    os._exit(0)  # skip QGIS's teardown: it can crash on exit in a headless run


if __name__ == "__main__":
    main()
