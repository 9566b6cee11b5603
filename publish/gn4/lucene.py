"""Lucene query strings (ES `query_string`) into the neutral query tree, through `luqum`.

luqum (PyPI, maintained by the Jurismarchés team, used by several ES front ends) parses the
full Lucene syntax into a tree; this module only maps the nodes the datahub sends onto
moisson/query.py and refuses the rest with BadQuery, so nothing reaches a backend unparsed:

- `field:value`, `field:"phrase"`, `field:(a OR b)`, AND / OR / NOT / `-x` / `+x`, nested
  parentheses, and GeoNetwork's `!field:value` (NOT); a bare `a b` uses `default_operator`;
- values on a keyword field (publish/gn4/fields.py) are exact FieldFilters; a trailing `*`
  is a prefix; words without a field search the clause's `fields` as text;
- refused: regular expressions, inner or leading wildcards, fuzzy and proximity operators,
  ranges, unknown fields.

Bounds before parsing: MAX_LENGTH characters and MAX_NESTING parentheses (so a hostile
string never reaches the parser's or this module's recursion).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from luqum import tree
from luqum.parser import parser

from moisson.errors import BadQuery
from moisson.query import FieldFilter, Node, Phrase, Prefix, Term, TextField
from publish.gn4.fields import (
    CONSTANTS,
    EVERYTHING,
    KEYWORDS,
    NOTHING,
    SPATIAL,
    both,
    either,
    negate,
)

__all__ = ["MAX_LENGTH", "MAX_NESTING", "TextTarget", "ThemeResolver", "parse_query_string"]

MAX_LENGTH = 10_000
MAX_NESTING = 32
_LOCK = threading.Lock()  # luqum's parser and lexer are module-level ply objects

# A theme label (any language) or concept id -> the concept ids it names ([]: none).
ThemeResolver = Callable[[str], list[str]]


@dataclass(frozen=True)
class TextTarget:
    """Where words without a field go: text fields (() = all) and, with `uuid`, an exact
    match on the record id as an alternative."""

    fields: tuple[TextField, ...] = ()
    uuid: bool = False


def _nesting(text: str) -> int:
    depth = deepest = 0
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif not quoted and char == ")":
            depth -= 1
    return deepest


def parse_query_string(
    text: str, target: TextTarget, default_and: bool, resolve_theme: ThemeResolver | None = None
) -> Node:
    """The tree for Lucene string `text` (see the module docstring)."""
    if len(text) > MAX_LENGTH:
        raise BadQuery(f"query_string is longer than {MAX_LENGTH} characters")
    if _nesting(text) > MAX_NESTING:
        raise BadQuery(f"query_string nests parentheses deeper than {MAX_NESTING} levels")
    if not text.strip():
        return EVERYTHING
    try:
        with _LOCK:
            parsed = parser.parse(text)
    except Exception as exc:  # luqum raises ParseError, IllegalCharacterError, ply errors
        raise BadQuery(f"query_string could not be parsed: {str(exc)[:200]}") from None
    try:
        node = _Converter(target, default_and, resolve_theme).node(parsed, None)
    except RecursionError:
        raise BadQuery("query_string is nested too deeply") from None
    word = text.strip()
    if target.uuid and word.replace("-", "").isalnum():  # one word: may be a record's uuid
        return either([node, FieldFilter(field="id", values=(word,))])
    return node


class _Converter:
    def __init__(
        self, target: TextTarget, default_and: bool, resolve_theme: ThemeResolver | None
    ) -> None:
        self.target = target
        self.default_and = default_and
        self.resolve_theme = resolve_theme

    def node(self, item: tree.Item, field: str | None) -> Node:
        if isinstance(item, tree.SearchField):
            name = item.name
            if name.startswith("!"):
                return negate(self.node(item.expr, self.field(name[1:])))
            return self.node(item.expr, self.field(name))
        if isinstance(item, tree.Group | tree.FieldGroup):
            return self.node(item.expr, field)
        if isinstance(item, tree.Boost):
            return self.node(item.expr, field)
        if isinstance(item, tree.Plus):
            return self.node(item.a, field)
        if isinstance(item, tree.Not | tree.Prohibit):
            return negate(self.node(item.a, field))
        if isinstance(item, tree.AndOperation):
            return both([self.node(c, field) for c in item.children])
        if isinstance(item, tree.OrOperation):
            return self.union([self.node(c, field) for c in item.children])
        if isinstance(item, tree.UnknownOperation):
            children = [self.node(c, field) for c in item.children]
            return both(children) if self.default_and else self.union(children)
        if isinstance(item, tree.Phrase):
            return self.leaf(item.value[1:-1], field, phrase=True)
        if isinstance(item, tree.Word):
            return self.leaf(item.value, field, phrase=False)
        if isinstance(item, tree.Regex):
            raise BadQuery("regular expressions are not supported in query_string")
        if isinstance(item, tree.Fuzzy | tree.Proximity):
            raise BadQuery("fuzzy and proximity operators (~) are not supported")
        if isinstance(item, tree.Range | tree.From | tree.To):
            raise BadQuery("range queries are not supported in query_string")
        raise BadQuery(f"unsupported query_string syntax: {str(item)[:80]!r}")

    def field(self, name: str) -> str:
        if name in KEYWORDS or name in CONSTANTS or name == "isSpatial":
            return name
        raise BadQuery(f"unknown field [{name[:80]}] in query_string")

    def union(self, nodes: list[Node]) -> Node:
        """OR, with FieldFilters on one field merged into one (values OR'ed)."""
        merged: list[Node] = []
        for node in nodes:
            last = merged[-1] if merged else None
            if (
                isinstance(node, FieldFilter)
                and isinstance(last, FieldFilter)
                and last.field == node.field
                and last.prefix == node.prefix
            ):
                merged[-1] = FieldFilter(
                    field=node.field, values=(*last.values, *node.values), prefix=node.prefix
                )
            else:
                merged.append(node)
        return either(merged)

    def leaf(self, value: str, field: str | None, phrase: bool) -> Node:
        prefix = False
        if not phrase:
            if "*" in value.rstrip("*") or "?" in value:
                raise BadQuery("wildcards are only supported at the end of a word")
            if value.endswith("*"):
                value, prefix = value.rstrip("*"), True
            value = value.replace("\\", "")
            if not value:
                return EVERYTHING if field is not None else NOTHING
        if field is None:
            return self.text(value, phrase, prefix)
        if field in CONSTANTS:
            return EVERYTHING if value in CONSTANTS[field] else NOTHING
        if field == "isSpatial":
            return SPATIAL if value == "yes" else negate(SPATIAL) if value == "no" else NOTHING
        target = KEYWORDS[field]
        values = [value]
        if target == "theme" and self.resolve_theme is not None:
            values = self.resolve_theme(value) or [value]
        return FieldFilter(field=target, values=tuple(values), prefix=prefix)

    def text(self, value: str, phrase: bool, prefix: bool) -> Node:
        fields = self.target.fields
        leaf: Node
        if prefix:
            leaf = Prefix(text=value, fields=fields)
        elif phrase:
            leaf = Phrase(text=value, fields=fields)
        else:
            leaf = Term(text=value, fields=fields)
        return leaf
