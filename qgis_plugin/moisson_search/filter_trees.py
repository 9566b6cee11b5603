"""The two filter trees of the dock, filled from the API's answers.

The theme tree shows /api/themes (concepts nested as in the thesaurus, with the count of the
current search's records under each; empty themes hidden, the chosen one in bold). The
facet tree shows /api/search's facets with a check box per value. Each item keeps the value
to filter on (ID_ROLE) and, for facets, the facet's name (FACET_ROLE).
"""

from __future__ import annotations

from typing import Any

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QTreeWidget, QTreeWidgetItem

__all__ = ["FACETS", "FACET_ROLE", "ID_ROLE", "fill_facet_tree", "fill_theme_tree"]

# Facets shown in the Facets tab (the theme facet has its own tab), as the API names them.
FACETS = {
    "source": "Source",
    "organisation": "Organisation",
    "resource_type": "Type",
    "keyword": "Keyword",
    "format": "Format",
    "protocol": "Protocol",
    "year": "Year",
}
ID_ROLE = Qt.UserRole
FACET_ROLE = Qt.UserRole + 1


def fill_theme_tree(tree: QTreeWidget, themes: list[dict[str, Any]], chosen: str | None) -> None:
    tree.clear()

    def add(parent: Any, concept: dict[str, Any]) -> None:
        count = int(concept.get("count") or 0)
        if count == 0 and concept.get("id") != chosen:
            return
        item = QTreeWidgetItem(parent, [concept.get("label") or concept.get("id", ""), str(count)])
        item.setData(0, ID_ROLE, concept.get("id"))
        item.setToolTip(0, concept.get("definition") or "")
        if concept.get("id") == chosen:
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            item.setSelected(True)
        for child in concept.get("narrower") or []:
            add(item, child)

    for concept in themes:
        add(tree, concept)
    tree.expandToDepth(0)
    tree.resizeColumnToContents(0)


def fill_facet_tree(
    tree: QTreeWidget, facets: dict[str, Any], filters: dict[str, set[str]]
) -> None:
    """Without emitting itemChanged: only the user's ticks change the filters."""
    tree.blockSignals(True)
    tree.clear()
    for name, title in FACETS.items():
        buckets = facets.get(name) or []
        if not buckets:
            continue
        top = QTreeWidgetItem(tree, [title, ""])
        for bucket in buckets:
            value = str(bucket.get("value"))
            item = QTreeWidgetItem(
                top, [str(bucket.get("label") or value), str(bucket.get("count", ""))]
            )
            item.setData(0, ID_ROLE, value)
            item.setData(0, FACET_ROLE, name)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            ticked = bool(bucket.get("selected")) or value in filters.get(name, ())
            item.setCheckState(0, Qt.Checked if ticked else Qt.Unchecked)
        top.setExpanded(bool(filters.get(name)))
    tree.resizeColumnToContents(0)
    tree.blockSignals(False)
