"""A small but real QGIS host for driving a plugin, and the helpers a driver uses to act
as a user (run by /usr/bin/python3 with QGIS, imported by plugin_driver.py).

Host is QGIS's QgisInterface built from real widgets (main window, map canvas, message bar,
toolbar, Web menu): what a plugin calls on `iface`. Watch counts the dock's signals so each
step waits for the answers it caused; the other helpers click, type and read widgets.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
)
from qgis.gui import QgisInterface, QgsLayerTreeMapCanvasBridge, QgsMapCanvas, QgsMessageBar
from qgis.PyQt.QtCore import QObject, QSize, Qt, QTimer, pyqtSlot
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import (
    QApplication,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

TIMEOUT = 60.0


class Host(QgisInterface):
    """The parts of QGIS's main window a plugin uses, built from real widgets."""

    def __init__(self) -> None:
        super().__init__()
        self.window = QMainWindow()
        self.window.setWindowTitle("QGIS - Moisson search")
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        self.bar = QgsMessageBar()
        self.canvas = QgsMapCanvas()
        self.canvas.setCanvasColor(QColor("white"))
        layout.addWidget(self.bar)
        layout.addWidget(self.canvas, 1)
        self.window.setCentralWidget(central)
        self.bridge = QgsLayerTreeMapCanvasBridge(
            QgsProject.instance().layerTreeRoot(), self.canvas
        )
        self.toolbar = QToolBar("Plugins")
        self.window.addToolBar(self.toolbar)
        self.web_menu = self.window.menuBar().addMenu("&Web")
        self.submenus: dict[str, Any] = {}

    def mainWindow(self) -> QMainWindow:
        return self.window

    def mapCanvas(self) -> QgsMapCanvas:
        return self.canvas

    def messageBar(self) -> QgsMessageBar:
        return self.bar

    def addDockWidget(self, area: Any, dock: Any) -> None:
        self.window.addDockWidget(area, dock)

    def removeDockWidget(self, dock: Any) -> None:
        self.window.removeDockWidget(dock)

    def addToolBarIcon(self, action: Any) -> int:
        self.toolbar.addAction(action)
        return 0

    def removeToolBarIcon(self, action: Any) -> None:
        self.toolbar.removeAction(action)

    def addPluginToWebMenu(self, name: str, action: Any) -> None:
        menu = self.submenus.get(name) or self.web_menu.addMenu(name)
        self.submenus[name] = menu
        menu.addAction(action)

    def removePluginWebMenu(self, name: str, action: Any) -> None:
        menu = self.submenus.get(name)
        if menu is not None:
            menu.removeAction(action)
            if not menu.actions():
                self.web_menu.removeAction(menu.menuAction())
                del self.submenus[name]

    def web_entries(self) -> list[str]:
        return [a.text() for m in self.submenus.values() for a in m.actions()]


class Opened(QObject):
    """Receives what QDesktopServices.openUrl would hand to the browser."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @pyqtSlot("QUrl")
    def open(self, url: Any) -> None:
        self.urls.append(url.toString())


def spin_until(done: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        QgsApplication.processEvents()
        time.sleep(0.01)
    QgsApplication.processEvents()
    return True


class Watch:
    """Counts the dock's signals, so a step waits for the answers it caused."""

    def __init__(self, dock: Any) -> None:
        self.counts = {"search": 0, "themes": 0, "suggest": 0, "layer": 0}
        self.errors: list[str] = []
        self.suggestions: list[str] = []
        self.layers: list[str] = []
        dock.searchFinished.connect(lambda _t: self._bump("search"))
        dock.themesLoaded.connect(lambda: self._bump("themes"))
        dock.suggestionsReady.connect(self._suggested)
        dock.layerAdded.connect(self._layer)
        dock.failed.connect(self.errors.append)

    def _bump(self, key: str) -> None:
        self.counts[key] += 1

    def _suggested(self, words: list) -> None:
        self.suggestions = list(words)
        self._bump("suggest")

    def _layer(self, layer_id: str) -> None:
        self.layers.append(layer_id)
        self._bump("layer")

    def run(self, action: Callable[[], None], *keys: str) -> bool:
        """Do `action`, then wait until each key fired again (or an error came)."""
        before = dict(self.counts)
        errors = len(self.errors)
        action()
        return (
            spin_until(
                lambda: len(self.errors) > errors or all(self.counts[k] > before[k] for k in keys)
            )
            and len(self.errors) == errors
        )


def shown(dock: Any) -> dict[str, Any]:
    items = [dock.result_list.item(i).text() for i in range(dock.result_list.count())]
    return {
        "total": dock.total,
        "status": dock.status_label.text(),
        "items": items,
        "hits": [{"id": h["id"], "title": h["title"]} for h in dock.hits],
    }


def theme_items(tree: Any) -> list[dict[str, Any]]:
    found = []

    def walk(item: Any, depth: int) -> None:
        found.append(
            {
                "id": item.data(0, Qt.UserRole),
                "label": item.text(0),
                "count": int(item.text(1)),
                "depth": depth,
            }
        )
        for i in range(item.childCount()):
            walk(item.child(i), depth + 1)

    for i in range(tree.topLevelItemCount()):
        walk(tree.topLevelItem(i), 0)
    return found


def find_item(tree: Any, wanted: str, column_role: int = Qt.UserRole) -> Any:
    stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    while stack:
        item = stack.pop(0)
        if item.data(0, column_role) == wanted:
            return item
        stack += [item.child(i) for i in range(item.childCount())]
    return None


def click_item(tree: Any, item: Any) -> None:
    """A real mouse click on the item, as a user does."""
    tree.scrollToItem(item)
    QgsApplication.processEvents()
    rect = tree.visualItemRect(item)
    QTest.mouseClick(tree.viewport(), Qt.LeftButton, Qt.NoModifier, rect.center())


def fill_settings(url: str, token: str = "") -> Callable[[], None]:
    """Fill the modal settings dialog once it is open, then press OK."""

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, fill)
            return
        dialog.url_edit.setText(url)
        dialog.token_edit.setText(token)
        dialog.accept()

    return fill


def refuse_settings(url: str, warnings: list[str]) -> Callable[[], None]:
    """Type a URL the dialog must refuse: note its warning box, close it, cancel."""

    def close_warning() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, close_warning)
            return
        warnings.append(box.text())
        box.accept()
        QTimer.singleShot(20, cancel)

    def cancel() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is not None:
            dialog.reject()

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, fill)
            return
        dialog.url_edit.setText(url)
        QTimer.singleShot(20, close_warning)
        dialog.accept()

    return fill


def render(layer: Any) -> list[int]:
    """The colour at the centre of a 64x64 render of France (in EPSG:4326)."""
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4326"))
    settings.setExtent(QgsRectangle(-4, 42, 9, 51))
    settings.setOutputSize(QSize(64, 64))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    colour = job.renderedImage().pixelColor(32, 32)
    return [colour.red(), colour.green(), colour.blue(), colour.alpha()]
