"""The layer tree of a project: the company theme tree with each layer under its themes.

Groups are concepts, nested as in the thesaurus (a concept with several broader concepts
appears under each), labelled in the configured language (else the next configured
language, else the id), sorted by label; a group with no layer in it or below it is left
out. A layer is placed under each of its themes except those that are broader than another
of its themes (it sits under the most specific ones only); themes the thesaurus does not
know are ignored, and a layer left with none goes to the `unthemed` group when there is one
(the whole-catalogue project), else nowhere. Layers in a group are sorted by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from indexer.thesaurus import Thesaurus
from publish.qgis.layers import ProjectLayer

__all__ = ["Group", "placements", "theme_tree"]


@dataclass
class Group:
    """One group of the layer tree: a concept (None: the unthemed group), its label, its
    subgroups and the ids of the layers directly in it."""

    concept: str | None
    label: str
    groups: list[Group] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)

    def layer_ids(self) -> list[str]:
        """Every layer id in this group and below, each once, in tree order."""
        found = dict.fromkeys(self.layers)
        for group in self.groups:
            found.update(dict.fromkeys(group.layer_ids()))
        return list(found)


def placements(layers: Sequence[ProjectLayer], thesaurus: Thesaurus) -> dict[str, list[str]]:
    """concept id -> ids of the layers placed directly in its group (see the docstring);
    key "" holds the layers with no known theme."""
    placed: dict[str, list[str]] = {}
    for layer in layers:
        known = [t for t in dict.fromkeys(layer.themes) if t in thesaurus.concepts]
        broader = {a for t in known for a in thesaurus.ancestors(t)}
        specific = [t for t in known if t not in broader] or [""]
        for concept in specific:
            placed.setdefault(concept, []).append(layer.id)
    return placed


def theme_tree(
    layers: Sequence[ProjectLayer],
    thesaurus: Thesaurus,
    languages: Sequence[str],
    root: str | None = None,
    unthemed: str | None = None,
) -> Group:
    """The tree under `root` (a concept id; None: every top concept), as the root group.
    `unthemed` labels the group of layers with no known theme (None: they are left out)."""
    placed = placements(layers, thesaurus)
    names = {layer.id: layer.name.casefold() for layer in layers}

    def label(concept: str) -> str:
        return thesaurus.concepts[concept].pref(languages[0], languages[1:]) or concept

    def build(concept: str, path: frozenset[str]) -> Group:
        group = Group(concept, label(concept))
        group.layers = sorted(placed.get(concept, []), key=lambda i: (names[i], i))
        children = [
            build(child, path | {child})
            for child in thesaurus.concepts[concept].narrower
            if child in thesaurus.concepts and child not in path
        ]
        group.groups = sorted(
            (g for g in children if g.layers or g.groups), key=lambda g: g.label.casefold()
        )
        return group

    if root is not None:
        return build(root, frozenset({root}))
    top = Group(None, "")
    tops = [build(c, frozenset({c})) for c in thesaurus.tops()]
    top.groups = sorted((g for g in tops if g.layers or g.groups), key=lambda g: g.label.casefold())
    if unthemed is not None and placed.get(""):
        top.groups.append(
            Group(None, unthemed, layers=sorted(placed[""], key=lambda i: (names[i], i)))
        )
    return top
