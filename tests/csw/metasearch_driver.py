"""Drive QGIS MetaSearch (Debian's QGIS, system python3) against a CSW URL, headless.

Run by tests/csw/test_metasearch.py as `python3 metasearch_driver.py URL SCENARIO_JSON`
with QT_QPA_PLATFORM=offscreen; prints one JSON object with what the dialog showed. The
plugin's own dialog does the work (connection from QgsSettings, search(), navigate() through
its buttons, record_clicked() -> find_services(), show_metadata()); only its modal boxes are
made non-blocking (message boxes are recorded, the record dialog's exec_ returns at once).
This file must not import Moisson: it runs in QGIS's Python, not the project's venv.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from qgis.core import QgsApplication, QgsCoordinateReferenceSystem, QgsRectangle, QgsSettings
from qgis.gui import QgsMapCanvas

PLUGINS = "/usr/share/qgis/python/plugins"


class _Iface:
    def __init__(self, canvas: QgsMapCanvas) -> None:
        self._canvas = canvas

    def mapCanvas(self) -> QgsMapCanvas:
        return self._canvas


def main() -> int:
    url, scenario = sys.argv[1], json.loads(sys.argv[2])
    app = QgsApplication([], True)
    app.initQgis()
    sys.path.insert(0, PLUGINS)
    from MetaSearch.dialogs import maindialog

    messages: list[str] = []

    class _Box:
        Ok, Cancel = 1024, 4194304

        @staticmethod
        def warning(_parent: Any, title: str, text: str, *args: Any) -> int:
            messages.append(f"{title}: {text}")
            return _Box.Cancel

        information = warning

    metadata: list[str] = []

    def _exec(dialog: Any) -> int:
        metadata.append(dialog.textMetadata.toPlainText())
        return 0

    maindialog.QMessageBox = _Box
    maindialog.RecordDialog.exec_ = _exec

    settings = QgsSettings()
    settings.setValue("/MetaSearch/Moisson/url", url)
    settings.setValue("/MetaSearch/selected", "Moisson")
    canvas = QgsMapCanvas()
    canvas.resize(800, 600)
    canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    dialog = maindialog.MetaSearchDialog(_Iface(canvas))
    dialog.cmbConnectionsSearch.setCurrentText("Moisson")
    dialog.spnRecords.setValue(scenario["page_size"])
    out: dict[str, Any] = {"messages": messages}

    def shown() -> dict[str, Any]:
        results = dialog.catalog.results if dialog.catalog else {}
        items = [
            dialog.treeRecords.topLevelItem(i)
            for i in range(dialog.treeRecords.topLevelItemCount())
        ]
        return {
            "matches": results.get("matches"),
            "returned": results.get("returned"),
            "nextrecord": results.get("nextrecord"),
            "label": dialog.lblResults.text(),
            "titles": [item.text(1) for item in items],
            "ids": [maindialog.get_item_data(item, "identifier") for item in items],
            "next_enabled": dialog.btnNext.isEnabled(),
        }

    # 1. text search, whole world
    dialog.set_bbox_global()
    dialog.leKeywords.setText(scenario["text"])
    dialog.search()
    out["text"] = shown()
    # 2. page forward with the dialog's own button
    pages = [out["text"]]
    while dialog.btnNext.isEnabled() and len(pages) < 20:
        before = dialog.startfrom
        dialog.btnNext.click()
        if dialog.startfrom == before:
            break
        pages.append(shown())
    out["pages"] = pages
    # 3. search by the map extent, no text
    west, south, east, north = scenario["extent"]
    canvas.setExtent(QgsRectangle(west, south, east, north))
    dialog.set_bbox_from_map()
    out["bbox_fields"] = [
        dialog.leWest.text(),
        dialog.leSouth.text(),
        dialog.leEast.text(),
        dialog.leNorth.text(),
    ]
    dialog.leKeywords.setText("")
    dialog.search()
    out["extent"] = shown()
    # 4. open a record with a WMS link: select it, then show its metadata
    dialog.set_bbox_global()
    dialog.leKeywords.setText(scenario["wms_title"])
    dialog.search()
    out["wms_search"] = shown()
    target = None
    for i in range(dialog.treeRecords.topLevelItemCount()):
        item = dialog.treeRecords.topLevelItem(i)
        if maindialog.get_item_data(item, "identifier") == scenario["wms_id"]:
            target = item
    out["wms_found"] = target is not None
    if target is not None:
        dialog.treeRecords.setCurrentItem(target)  # record_clicked -> find_services
        out["add_wms_enabled"] = dialog.mActionAddWms.isEnabled()
        out["services"] = json.loads(maindialog.get_item_data(target, "link") or "{}")
        dialog.show_metadata()
        out["metadata"] = metadata[-1] if metadata else None
    print("RESULT " + json.dumps(out))
    app.exitQgis()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
