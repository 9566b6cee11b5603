"""Many table paths answered by one walk of the tree: the fast path behind `iso_mapping`.

An ISO table is a few dozen simple XPaths (`gmd:citation/*/gmd:title`, unions of such
paths). Evaluating each with libxml2 costs a call, a context set-up and a node-set copy per
path per record, and the same top elements are re-scanned by every path. `PathSet` compiles
a named set of such paths once into a trie of name tests, then a single walk from the
context descends only into elements some path still needs, dispatching on the child's tag:
every path's elements come out of the same pass, in document order, exactly as XPath would
return them.

Only the subset the tables use is accepted (child steps `prefix:name` or `*`, joined by `/`,
alternatives joined by `|`); anything else raises ValueError when the table is built, never
at harvest time. A path whose alternatives could select one element twice or interleave
(`a/* | a/b`, `a/*/c | a/b/d`) is answered by its XPath, so duplicates and order stay XPath's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

__all__ = ["PathSet", "TablePath"]


class TablePath(etree.XPath):
    """A compiled XPath that remembers its namespace map, so a `PathSet` can compile it
    again into name tests. Callable like any `etree.XPath` (the reference evaluation)."""

    namespaces: dict[str, str]

    def __init__(self, path: str, namespaces: Mapping[str, str]) -> None:
        super().__init__(path, namespaces=dict(namespaces), smart_strings=False)
        self.namespaces = dict(namespaces)

    def alternatives(self) -> list[tuple[str, ...]]:
        """Each alternative of the union as its steps in Clark notation ('*' for any
        element). Raises ValueError for syntax the walker does not cover."""
        return [self._steps(part.strip()) for part in self.path.split("|")]

    def _steps(self, alternative: str) -> tuple[str, ...]:
        steps: list[str] = []
        for step in alternative.split("/"):
            step = step.strip()
            if step == "*":
                steps.append("*")
                continue
            prefix, colon, local = step.partition(":")
            if not colon or not prefix.isidentifier() or not local.isidentifier():
                raise ValueError(f"table path step {step!r} of {self.path!r} is not a name test")
            if prefix not in self.namespaces:
                raise ValueError(f"unknown prefix {prefix!r} in table path {self.path!r}")
            steps.append(f"{{{self.namespaces[prefix]}}}{local}")
        if not steps:
            raise ValueError(f"empty table path alternative in {self.path!r}")
        return tuple(steps)


class _Node:
    """One trie position: children by exact tag, the '*' child, and the paths ending here."""

    __slots__ = ("deep", "ends", "named", "star")

    def __init__(self) -> None:
        self.named: dict[str, _Node] = {}
        self.star: _Node | None = None
        self.ends: list[str] = []
        self.deep = False  # some path goes on below: set by `finish` once the trie is built

    def finish(self) -> None:
        """Freeze what the walk asks at every element into plain attributes."""
        self.deep = not self.leaf
        for below in self.named.values():
            below.finish()
        if self.star is not None:
            self.star.finish()

    def child(self, step: str) -> _Node:
        if step == "*":
            if self.star is None:
                self.star = _Node()
            return self.star
        return self.named.setdefault(step, _Node())

    @property
    def leaf(self) -> bool:
        return not self.named and self.star is None


def _apart(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    """Whether one walk yields two alternatives' elements in document order and never the
    same element twice: they first differ at two different names (so they descend into
    different children), or one is a prefix of the other (one branch of the trie)."""
    for a, b in zip(left, right, strict=False):
        if a != b:
            return a != "*" and b != "*"
    return len(left) != len(right)


class PathSet:
    """Named table paths compiled into one trie; `find(context)` answers all of them."""

    def __init__(
        self, paths: Mapping[str, TablePath], direct: Mapping[str, str] | None = None
    ) -> None:
        """`direct` maps a child's tag (Clark notation) to a name: one-step paths given as
        tags, so a Group's children and its nested paths come out of one walk. They are
        not in `paths`, so `find_by_xpath` does not answer them."""
        self.paths = dict(paths)
        self._root = _Node()
        self._by_xpath: dict[str, TablePath] = {}
        for name, path in self.paths.items():
            alternatives = path.alternatives()
            if not all(
                _apart(a, b) for i, a in enumerate(alternatives) for b in alternatives[i + 1 :]
            ):
                self._by_xpath[name] = path
                continue
            for steps in alternatives:
                node = self._root
                for step in steps:
                    node = node.child(step)
                node.ends.append(name)
        for tag, name in (direct or {}).items():
            self._root.child(tag).ends.append(name)
        self._root.finish()

    def find(self, context: etree._Element) -> dict[str, list[Any]]:
        """Every path's elements below `context`, each list in document order (a name with
        no match is absent)."""
        found: dict[str, list[Any]] = {}
        self.find_into(context, found)
        return found

    def find_into(self, context: etree._Element, found: dict[str, list[Any]]) -> None:
        """`find`, appending to the lists of `found` (a Group's row already holding its
        occurrence's children), so no dict is built and merged per occurrence."""
        _walk(context, self._root, found)
        for name, path in self._by_xpath.items():
            result = path(context)
            if isinstance(result, list) and result:
                if name in found:
                    found[name].extend(result)
                else:
                    found[name] = result

    def find_by_xpath(self, context: etree._Element) -> dict[str, list[Any]]:
        """The same answer from libxml2's XPath, path by path: the reference `find` is
        tested against."""
        found: dict[str, list[Any]] = {}
        for name, path in self.paths.items():
            result = path(context)
            if isinstance(result, list) and result:
                found[name] = result
        return found


def _walk(element: etree._Element, node: _Node, found: dict[str, list[Any]]) -> None:
    # Preorder over the children in document order, so each path's list is in document
    # order; alternatives of one path descend into different children (see _apart).
    named, star = node.named, node.star
    for child in element:
        tag = child.tag
        if tag.__class__ is not str:  # comments, processing instructions, entities
            continue
        below = named.get(tag)
        if below is not None:
            for name in below.ends:
                if name in found:
                    found[name].append(child)
                else:
                    found[name] = [child]
            if below.deep:
                _walk(child, below, found)
        if star is not None:
            for name in star.ends:
                if name in found:
                    found[name].append(child)
                else:
                    found[name] = [child]
            if star.deep:
                _walk(child, star, found)
