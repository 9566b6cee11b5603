"""How a search hit looks in the dock: its line in the result list and its details.

Every value from the server is escaped before it enters HTML: titles and abstracts are
shown as text, never interpreted. A result line is drawn from HTML by ResultDelegate (bold
title, then sources, themes and map layer kinds in the secondary colour); the item's plain
text stays the same two lines, for accessibility and for tests.
"""

from __future__ import annotations

import html
from typing import Any

from qgis.PyQt.QtCore import QModelIndex, QSize, Qt
from qgis.PyQt.QtGui import QAbstractTextDocumentLayout, QPalette, QTextDocument
from qgis.PyQt.QtWidgets import (
    QApplication,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from .service_links import service_links

__all__ = ["HIT_ROLE", "HTML_ROLE", "ResultDelegate", "details_html", "result_item"]

HIT_ROLE = Qt.UserRole
HTML_ROLE = Qt.UserRole + 2
SECONDARY = "#5a5a5a"  # the second line's colour, replaced by the highlight's when selected
_PAD = 4


def _sources(hit: dict[str, Any]) -> list[str]:
    return hit.get("source_names") or [s.get("id", "") for s in hit.get("sources") or []]


def _themes(hit: dict[str, Any]) -> list[str]:
    return [t.get("label") or t.get("id", "") for t in hit.get("themes") or []]


def result_item(hit: dict[str, Any], index: int) -> QListWidgetItem:
    """Title, then `sources · themes · map layers: WMS, WFS`; the abstract as tooltip."""
    layers = service_links(hit)[0]
    title = hit.get("title") or "(untitled)"
    second = " \u00b7 ".join(p for p in (", ".join(_sources(hit)), ", ".join(_themes(hit))) if p)
    if layers:
        kinds = ", ".join(sorted({link.kind for link in layers}))
        second += ("  \u00b7 " if second else "") + f"map layers: {kinds}"
    item = QListWidgetItem("\n".join(line for line in (title, second) if line))
    item.setToolTip((hit.get("abstract") or "")[:600])
    item.setData(HIT_ROLE, index)
    item.setData(
        HTML_ROLE,
        f"<b>{html.escape(title)}</b>"
        + (f"<br><span style='color:{SECONDARY}'>{html.escape(second)}</span>" if second else ""),
    )
    return item


def details_html(hit: dict[str, Any]) -> str:
    """The details pane: title, abstract, sources, themes, layers and why some links are
    left out."""
    layers, refused = service_links(hit)
    esc = html.escape
    parts = [f"<h3>{esc(hit.get('title') or '(untitled)')}</h3>"]
    if hit.get("abstract"):
        parts.append(f"<p>{esc(hit['abstract'])}</p>")
    if _sources(hit):
        parts.append(f"<p><b>Source(s):</b> {esc(', '.join(_sources(hit)))}</p>")
    if _themes(hit):
        parts.append(f"<p><b>Themes:</b> {esc(', '.join(_themes(hit)))}</p>")
    if layers:
        parts.append(f"<p><b>Map layers:</b> {', '.join(esc(x.label) for x in layers)}</p>")
    parts += [f"<p><i>{esc(note)}</i></p>" for note in refused]
    return "".join(parts)


class ResultDelegate(QStyledItemDelegate):
    """Draws a result line from its HTML, wrapped to the list's width."""

    def __init__(self, view: QListWidget) -> None:
        super().__init__(view)
        self.view = view

    def _document(
        self, option: QStyleOptionViewItem, index: QModelIndex, width: int, selected: bool = False
    ) -> Any:
        document = QTextDocument()
        document.setDocumentMargin(0)
        document.setDefaultFont(option.font)
        text = index.data(HTML_ROLE) or html.escape(index.data(Qt.DisplayRole) or "")
        if selected:
            text = text.replace(SECONDARY, option.palette.color(QPalette.HighlightedText).name())
        document.setHtml(text)
        document.setTextWidth(max(width - 2 * _PAD, 80))
        return document

    def paint(self, painter: Any, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        option = QStyleOptionViewItem(option)
        self.initStyleOption(option, index)
        option.text = ""  # the background and selection only; the text is drawn below
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.CE_ItemViewItem, option, painter, option.widget)
        selected = bool(option.state & QStyle.State_Selected)
        document = self._document(option, index, option.rect.width(), selected)
        context = QAbstractTextDocumentLayout.PaintContext()
        if selected:
            context.palette.setColor(QPalette.Text, option.palette.color(QPalette.HighlightedText))
        painter.save()
        painter.translate(option.rect.left() + _PAD, option.rect.top() + _PAD)
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        width = self.view.viewport().width()
        document = self._document(option, index, width)
        return QSize(width, int(document.size().height()) + 2 * _PAD)
