"""The plugin object QGIS loads: a toolbar button and a Web menu entry showing the dock,
and a settings entry. Everything else lives in the dock (dock.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from .dock import MoissonDock
from .settings import SettingsDialog

__all__ = ["MoissonSearchPlugin"]

MENU = "&Moisson search"


class MoissonSearchPlugin:
    def __init__(self, iface: Any) -> None:
        self.iface = iface
        self.dock: MoissonDock | None = None
        self.actions: list = []

    def initGui(self) -> None:
        icon = QIcon(str(Path(__file__).with_name("icon.png")))
        window = self.iface.mainWindow()
        self.dock = MoissonDock(self.iface, window)
        self.iface.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        self.dock.hide()
        show = QAction(icon, "Moisson search", window)
        show.setCheckable(True)
        show.setToolTip("Search the Moisson catalogue and add its layers to the map")
        self.dock.setToggleVisibilityAction(show)
        settings = QAction("Moisson search settings...", window)
        settings.triggered.connect(self.open_settings)
        self.iface.addToolBarIcon(show)
        self.iface.addPluginToWebMenu(MENU, show)
        self.iface.addPluginToWebMenu(MENU, settings)
        self.actions = [show, settings]

    def open_settings(self) -> None:
        if self.dock is not None:
            self.dock.open_settings()
        else:
            SettingsDialog(self.iface.mainWindow()).exec_()

    def unload(self) -> None:
        for action in self.actions:
            self.iface.removePluginWebMenu(MENU, action)
        if self.actions:
            self.iface.removeToolBarIcon(self.actions[0])
        self.actions = []
        if self.dock is not None:
            self.dock.client.abort_all()
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
