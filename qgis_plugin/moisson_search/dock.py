"""The search dock: search box with suggestions, theme tree, facets, results, add to map.

It holds the search state (text, chosen theme, facet filters, page) and turns every change
into API calls through MoissonClient; answers arrive asynchronously and repaint the parts
they concern. Every value from the server is shown as text (titles, abstracts are never
interpreted as HTML). Signals say when a search, suggestions or a layer are done, so the
plugin's tests (and other plugins) can follow what the user sees.
"""

from __future__ import annotations

import html
import re
from typing import Any

from qgis.core import Qgis, QgsApplication, QgsMapLayer, QgsProject
from qgis.gui import QgsDockWidget
from qgis.PyQt.QtCore import QLocale, QStringListModel, Qt, QTimer, pyqtSignal
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .api_client import MoissonClient
from .filter_trees import FACET_ROLE, ID_ROLE, fill_facet_tree, fill_theme_tree
from .layers import DEFAULT_CRS, AddLayerTask
from .results_view import ResultDelegate, details_html, result_item
from .service_links import ServiceLink, service_links
from .settings import SettingsDialog, load_connection

__all__ = ["MoissonDock"]

PAGE_SIZE = 20
SUGGEST_DELAY_MS = 250


def _language() -> str:
    code = QLocale().name().split("_")[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else ""


class MoissonDock(QgsDockWidget):
    searchFinished = pyqtSignal(int)  # total
    themesLoaded = pyqtSignal()
    suggestionsReady = pyqtSignal(list)
    layerAdded = pyqtSignal(str)  # layer id
    failed = pyqtSignal(str)

    def __init__(self, iface: Any, parent: QWidget | None = None) -> None:
        super().__init__("Moisson search", parent)
        self.setObjectName("MoissonSearchDock")
        self.iface = iface
        self.client = MoissonClient(load_connection(), self)
        self.text = ""
        self.suggested = ""  # the server's "did you mean" for the last search
        self.theme: str | None = None
        self.filters: dict[str, set[str]] = {}
        self.page = 1
        self.total = 0
        self.hits: list[dict[str, Any]] = []
        self._tasks: set[AddLayerTask] = set()
        self._reported: set[str] = set()
        self._build()

    # -- widgets -----------------------------------------------------------------------

    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        row = QHBoxLayout()
        self.query_edit = QLineEdit()
        self.query_edit.setPlaceholderText("Search Moisson (title, keyword, place...)")
        self.query_edit.setClearButtonEnabled(True)
        self.suggestions = QStringListModel(self)
        self.completer = QCompleter(self.suggestions, self)
        self.completer.setCaseSensitivity(Qt.CaseInsensitive)
        # The server already matched (accents, case, keywords then titles): show its list.
        self.completer.setCompletionMode(QCompleter.UnfilteredPopupCompletion)
        self.query_edit.setCompleter(self.completer)
        self.search_button = QPushButton("Search")
        self.settings_button = QToolButton()
        self.settings_button.setText("Settings")
        self.settings_button.setToolTip("Moisson URL and API token")
        row.addWidget(self.query_edit)
        row.addWidget(self.search_button)
        row.addWidget(self.settings_button)
        layout.addLayout(row)

        status_row = QHBoxLayout()
        self.status_label = QLabel("Type words and press Enter.")
        self.status_label.setTextFormat(Qt.RichText)
        self.status_label.linkActivated.connect(
            lambda _link: self._suggestion_chosen(self.suggested)
        )
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear filters")
        self.clear_button.setVisible(False)
        status_row.addWidget(self.status_label, 1)
        status_row.addWidget(self.clear_button)
        layout.addLayout(status_row)

        splitter = QSplitter(Qt.Vertical)
        self.tabs = QTabWidget()
        self.theme_tree = QTreeWidget()
        self.theme_tree.setHeaderLabels(["Theme", "Records"])
        self.facet_tree = QTreeWidget()
        self.facet_tree.setHeaderLabels(["Facet", "Records"])
        self.tabs.addTab(self.theme_tree, "Themes")
        self.tabs.addTab(self.facet_tree, "Facets")
        splitter.addWidget(self.tabs)

        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        self.result_list = QListWidget()
        self.result_list.setWordWrap(True)
        self.result_list.setAlternatingRowColors(True)
        self.result_list.setResizeMode(QListView.Adjust)  # re-wrap lines when resized
        self.result_list.setItemDelegate(ResultDelegate(self.result_list))
        self.more_button = QPushButton("More results")
        self.more_button.setVisible(False)
        results_layout.addWidget(self.result_list)
        results_layout.addWidget(self.more_button)
        splitter.addWidget(results)

        details = QWidget()
        details_layout = QVBoxLayout(details)
        details_layout.setContentsMargins(0, 0, 0, 0)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add to map")
        self.open_button = QPushButton("Open record")
        self.add_button.setEnabled(False)
        self.open_button.setEnabled(False)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.open_button)
        details_layout.addWidget(self.details)
        details_layout.addLayout(buttons)
        splitter.addWidget(details)
        splitter.setSizes([160, 260, 160])
        layout.addWidget(splitter, 1)
        self.setWidget(body)

        self.suggest_timer = QTimer(self)
        self.suggest_timer.setSingleShot(True)
        self.suggest_timer.setInterval(SUGGEST_DELAY_MS)
        self.suggest_timer.timeout.connect(self._ask_suggestions)
        self.query_edit.textEdited.connect(lambda _text: self.suggest_timer.start())
        self.query_edit.returnPressed.connect(self.search)
        self.completer.activated[str].connect(self._suggestion_chosen)
        self.search_button.clicked.connect(self.search)
        self.settings_button.clicked.connect(self.open_settings)
        self.clear_button.clicked.connect(self.clear_filters)
        self.theme_tree.itemClicked.connect(self._theme_clicked)
        self.facet_tree.itemChanged.connect(self._facet_changed)
        self.result_list.currentRowChanged.connect(self._show_details)
        self.result_list.itemDoubleClicked.connect(lambda _item: self.add_to_map())
        self.more_button.clicked.connect(self.more)
        self.add_button.clicked.connect(self.add_to_map)
        self.open_button.clicked.connect(self.open_record)

    # -- searching -----------------------------------------------------------------------

    def _filter_params(self, with_theme: bool) -> list[tuple]:
        params = [("q", self.text)] if self.text else []
        lang = _language()
        if lang:
            params.append(("lang", lang))
        for facet in sorted(self.filters):
            params += [(facet, value) for value in sorted(self.filters[facet])]
        if with_theme and self.theme:
            params.append(("theme", self.theme))
        return params

    def search(self) -> None:
        """A new search from the box's text, keeping the chosen theme and facets."""
        self.suggest_timer.stop()
        self.completer.popup().hide()
        self.text = self.query_edit.text().strip()
        self.page = 1
        self._run()

    def more(self) -> None:
        self.page += 1
        self._run()

    def _run(self) -> None:
        self._reported.clear()
        params = self._filter_params(with_theme=True)
        params += [("page", str(self.page)), ("size", str(PAGE_SIZE))]
        self.status_label.setText("Searching...")
        self.client.get("search", "/api/search", params, self._show_results, self._error)
        if self.page == 1:
            # Counts follow the search, except for the theme itself (the tree is the choice).
            self.client.get(
                "themes",
                "/api/themes",
                self._filter_params(with_theme=False),
                self._show_themes,
                self._error,
            )
        filtered = bool(self.theme) or any(self.filters.values())
        self.clear_button.setVisible(filtered)

    def clear_filters(self) -> None:
        self.theme = None
        self.filters = {}
        self.search()

    def open_settings(self) -> None:
        if SettingsDialog(self).exec_():
            self.client.abort_all()
            self.client.connection = load_connection()
            self.search()

    # -- suggestions ---------------------------------------------------------------------

    def _ask_suggestions(self) -> None:
        text = self.query_edit.text().strip()
        if len(text) < 2:
            return
        self.client.get(
            "suggest",
            "/api/suggest",
            [("q", text), ("size", "10")],
            lambda body: self._show_suggestions(text, body),
            self._error,
        )

    def _show_suggestions(self, asked: str, body: dict[str, Any]) -> None:
        if asked != self.query_edit.text().strip():
            return  # the user typed on
        words = [str(s) for s in body.get("suggestions") or []]
        self.suggestions.setStringList(words)
        if words and self.query_edit.hasFocus():
            self.completer.complete()
        self.suggestionsReady.emit(words)

    def _suggestion_chosen(self, text: str) -> None:
        self.query_edit.setText(text)
        self.search()

    # -- answers -------------------------------------------------------------------------

    def _error(self, message: str) -> None:
        if message in self._reported:
            return  # the search and the theme counts failed for the same reason: say it once
        self._reported.add(message)
        self.status_label.setText("Search failed.")
        self.iface.messageBar().pushMessage("Moisson", message, level=Qgis.Warning, duration=10)
        self.failed.emit(message)

    def _show_results(self, body: dict[str, Any]) -> None:
        hits = [h for h in body.get("hits") or [] if isinstance(h, dict)]
        self.total = int(body.get("total") or 0)
        if self.page == 1:
            self.hits = []
            self.result_list.clear()
            self._show_facets(body.get("facets") or {})
        for hit in hits:
            self.hits.append(hit)
            self.result_list.addItem(result_item(hit, len(self.hits) - 1))
        shown = len(self.hits)
        word = "record" if self.total == 1 else "records"
        status = html.escape(f"{self.total} {word}, {shown} shown")
        suggestion = str(body.get("suggestion") or "")
        if suggestion and body.get("corrected"):  # no hit as typed: these are the suggestion's
            status += f" (searched for \u201c{html.escape(suggestion)}\u201d)"
        elif suggestion:
            status += f' \u2014 did you mean <a href="#">{html.escape(suggestion)}</a>?'
        self.suggested = suggestion
        self.status_label.setText(status)
        self.more_button.setVisible(shown < self.total and bool(hits))
        if self.page == 1 and self.hits:
            self.result_list.setCurrentRow(0)
        elif not self.hits:
            self._show_details(-1)
        self.searchFinished.emit(self.total)

    def _show_themes(self, body: dict[str, Any]) -> None:
        fill_theme_tree(self.theme_tree, body.get("themes") or [], self.theme)
        self.themesLoaded.emit()

    def _show_facets(self, facets: dict[str, Any]) -> None:
        fill_facet_tree(self.facet_tree, facets, self.filters)

    def _theme_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        chosen = item.data(0, ID_ROLE)
        self.theme = None if chosen == self.theme else chosen
        self.search()

    def select_theme(self, theme_id: str | None) -> None:
        """Filter by a theme (None: every theme), as clicking it in the tree does."""
        self.theme = theme_id
        self.search()

    def _facet_changed(self, item: QTreeWidgetItem, _column: int) -> None:
        facet = item.data(0, FACET_ROLE)
        if not facet:
            return
        values = self.filters.setdefault(facet, set())
        value = item.data(0, ID_ROLE)
        if item.checkState(0) == Qt.Checked:
            values.add(value)
        else:
            values.discard(value)
        self.search()

    # -- the chosen result -------------------------------------------------------------------

    def current_hit(self) -> dict[str, Any] | None:
        row = self.result_list.currentRow()
        return self.hits[row] if 0 <= row < len(self.hits) else None

    def _show_details(self, row: int) -> None:
        hit = self.hits[row] if 0 <= row < len(self.hits) else None
        if hit is None:
            self.details.clear()
            self.add_button.setEnabled(False)
            self.open_button.setEnabled(False)
            return
        layers = service_links(hit)[0]
        self.details.setHtml(details_html(hit))
        self.add_button.setEnabled(bool(layers))
        self.open_button.setEnabled(True)

    def open_record(self) -> None:
        hit = self.current_hit()
        if hit is not None:
            QDesktopServices.openUrl(self.client.record_url(str(hit.get("id"))))

    def add_to_map(self) -> None:
        """Add the chosen result's layer; with several, let the user pick one."""
        hit = self.current_hit()
        if hit is None:
            return
        layers = service_links(hit)[0]
        if not layers:
            self.iface.messageBar().pushMessage(
                "Moisson",
                "This record has no WMS, WMTS, WFS or OGC API Features layer.",
                level=Qgis.Info,
                duration=5,
            )
            return
        if len(layers) == 1:
            self.add_layer(layers[0])
            return
        menu = QMenu(self)
        for link in layers:
            action = menu.addAction(link.label)
            action.triggered.connect(lambda _checked=False, chosen=link: self.add_layer(chosen))
        menu.exec_(self.add_button.mapToGlobal(self.add_button.rect().bottomLeft()))

    def add_layer(self, link: ServiceLink) -> None:
        crs = QgsProject.instance().crs()
        authid = crs.authid() if crs.isValid() and crs.authid() else DEFAULT_CRS
        task = AddLayerTask(link, authid, lambda layer, error: self._layer_done(task, layer, error))
        self._tasks.add(task)
        self.status_label.setText(f"Adding {link.label}...")
        QgsApplication.taskManager().addTask(task)

    def _layer_done(self, task: AddLayerTask, layer: QgsMapLayer | None, error: str | None) -> None:
        self._tasks.discard(task)
        if layer is None:
            self._error(error or "the layer could not be added")
            return
        self.status_label.setText(f"Added {layer.name()}")
        self.iface.messageBar().pushMessage(
            "Moisson", f"Added {layer.name()} to the map", level=Qgis.Success, duration=4
        )
        self.layerAdded.emit(layer.id())
