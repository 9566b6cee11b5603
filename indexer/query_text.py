"""The one parser of user text: `q` -> a neutral query tree (moisson/query.py), for every
backend and protocol.

- `plain_tree`: the default. Each word of the user's text (indexer/analysis.py drops
  stopwords when other words remain) becomes a `Term`; terms are AND'ed. Stopwords are
  never required: a text of stopwords only ('the', 'de la') matches no record (NOTHING),
  where it used to find every record that happens to contain 'the'. Nothing the user
  types is syntax, so no input can be a syntax error: quotes, AND, '*', 'title:' are words.
- `advanced_tree`: FTS5-like syntax: AND, OR, NOT, parentheses, "phrases", prefix*, field
  filters `title:` / `{title keywords}:`, NEAR(a "b c", N). Precedence, highest first: NOT,
  AND, OR; adjacent items are AND'ed; a field filter applies to the item after it. A bareword
  is a Term, a quoted string a Phrase, a trailing * a Prefix. Errors raise BadQuery saying
  what is wrong.
- `expanded`: the thesaurus expansion as a tree rewrite (see moisson.query.ThemeExpansion):
  `Or(tree, And(FieldFilter(theme, concepts), rest of the words))` per expansion.
- `text_tree`: what a backend searches for a Query: `Query.text`, else q parsed (and
  expanded when plain).

Backends compile the resulting tree (indexer/backends/sqlite_query.py, opensearch_query.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from indexer.analysis import STOPWORDS, query_terms, tokenise
from moisson.errors import BadQuery
from moisson.query import (
    MAX_CLAUSES,
    TEXT_FIELDS,
    And,
    Exists,
    FieldFilter,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Query,
    Term,
    TextField,
    TextLeaf,
    ThemeExpansion,
    check_tree,
)

__all__ = [
    "NOTHING",
    "advanced_tree",
    "expanded",
    "plain_tree",
    "positive_leaves",
    "text_tree",
    "without_phrase",
]

# Matches no record (every record has an id): what a text of stopwords only searches for.
NOTHING: Node = Not(child=Exists(field="id"))
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}
_ALL_FIELDS: tuple[TextField, ...] = ("title", "keywords", "abstract")  # TEXT_FIELDS, typed
_NEAR_DEFAULT = 10  # FTS5's default NEAR distance
_MAX_NESTING = 32  # parentheses deep; keeps the recursive descent far from Python's limit


def positive_leaves(node: Node) -> list[TextLeaf]:
    """The text leaves of `node` that can make a record match (not under a Not): the ones
    that rank hits and are highlighted in snippets, on both backends."""
    if isinstance(node, Term | Phrase | Prefix | Near):
        return [node]
    if isinstance(node, And | Or):
        return [leaf for child in node.children for leaf in positive_leaves(child)]
    return []


def _joined(kind: type[And] | type[Or], children: Sequence[Node]) -> Node:
    return children[0] if len(children) == 1 else kind(children=tuple(children))


def plain_tree(text: str) -> Node | None:
    """AND of the user's words as Terms (stopwords dropped); NOTHING when every word is a
    stopword; None when there is no word at all (nothing to search: every record)."""
    terms: list[Node] = [Term(text=t.word) for t in query_terms(text)]
    if terms and all(t.word in STOPWORDS for t in query_terms(text)):
        return NOTHING
    return _joined(And, terms) if terms else None


def without_phrase(text: str, phrase: str) -> str | None:
    """The words of `text` left once the words of `phrase` are taken out (for a
    ThemeExpansion: those words may be satisfied by the record's theme instead), joined by
    spaces; '' when the phrase is the whole query; None when `text` does not contain every
    word of `phrase` (the expansion does not apply). Words compare after analysis, so
    'Zones Humides' in the query matches the phrase 'zones humides'."""
    words = [t.word for t in query_terms(text)]
    taken = [t.word for t in query_terms(phrase)]
    if not taken:
        return None
    for start in range(len(words) - len(taken) + 1):
        if words[start : start + len(taken)] == taken:
            return " ".join(words[:start] + words[start + len(taken) :])
    if set(taken) <= set(words):
        return " ".join(w for w in words if w not in taken)
    return None


def expanded(tree: Node, q: str, expansions: Sequence[ThemeExpansion]) -> Node:
    """`tree` (q's plain parse) OR, per expansion that applies, the records filed under one
    of its concepts that match the rest of q's words."""
    alternatives: list[Node] = [tree]
    for expansion in expansions:
        rest = without_phrase(q, expansion.phrase)
        if rest is None or not expansion.concepts:
            continue
        theme = FieldFilter(field="theme", values=tuple(expansion.concepts))
        rest_tree = plain_tree(rest)
        alternatives.append(theme if rest_tree is None else And(children=(theme, rest_tree)))
    return _joined(Or, alternatives)


def text_tree(query: Query) -> Node | None:
    """The text part of `query` as a tree: `query.text` when a protocol built it, else `q`
    parsed (advanced or plain) and, when plain, expanded with `query.expansions`. A parsed
    tree is held to the same limits as a protocol's (moisson.query.check_tree), with what
    `where` left of the clause budget, so both backends refuse the same long queries."""
    if query.text is not None:
        return query.text
    if query.advanced:
        tree = advanced_tree(query.q)
    else:
        tree = plain_tree(query.q)
        if tree is not None and query.expansions:
            tree = expanded(tree, query.q, query.expansions)
    if tree is not None:
        spent = check_tree(query.where, "where") if query.where is not None else 0
        check_tree(tree, "text", MAX_CLAUSES - spent)
    return tree


_TOKEN = re.compile(
    r'\s+|(?P<string>"(?:[^"]|"")*")|(?P<punct>[(){}:*,^+])|(?P<word>[^\s"(){}:*,^+]+)'
)


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    position = 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None:
            raise BadQuery(f"unterminated quote in the query at character {position + 1}")
        position = found.end()
        if found.lastgroup:
            yield found.lastgroup, found.group()


def _unquoted(text: str) -> str:
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def _words_of(text: str) -> str:
    """`text` unquoted, refused when it holds no word."""
    plain = _unquoted(text)
    if not tokenise(plain):
        raise BadQuery(f"nothing to search for in {text!r}")
    return plain


class _Parser:
    """Recursive descent over the advanced grammar (see the module docstring)."""

    def __init__(self, text: str) -> None:
        self.items = list(_tokens(text))
        self.at = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> tuple[str, str]:
        item = self.peek()
        if item is None:
            raise BadQuery("the query ends too early (an operator or '(' is missing its operand)")
        self.at += 1
        return item

    def expect(self, punct: str) -> None:
        item = self.take()
        if item != ("punct", punct):
            raise BadQuery(f"expected {punct!r} in the query, found {item[1]!r}")

    def is_word(self, word: str) -> bool:
        return self.peek() == ("word", word)

    def parse(self) -> Node:
        node = self.or_(())
        if (item := self.peek()) is not None:
            raise BadQuery(f"unexpected {item[1]!r} in the query")
        return node

    def or_(self, fields: tuple[TextField, ...]) -> Node:
        children = [self.and_(fields)]
        while self.is_word("OR"):
            self.take()
            children.append(self.and_(fields))
        return _joined(Or, children)

    def and_(self, fields: tuple[TextField, ...]) -> Node:
        children = [self.not_(fields)]
        while (item := self.peek()) is not None and item not in {("punct", ")"), ("word", "OR")}:
            if item == ("word", "AND"):
                self.take()
            children.append(self.not_(fields))
        return _joined(And, children)

    def not_(self, fields: tuple[TextField, ...]) -> Node:
        node = self.primary(fields)
        while self.is_word("NOT"):
            self.take()
            node = And(children=(node, Not(child=self.primary(fields))))
        return node

    def primary(self, fields: tuple[TextField, ...]) -> Node:
        kind, text = self.take()
        if kind == "word" and self.peek() == ("punct", ":"):
            self.take()
            return self.primary(_restrict(fields, [text]))
        if (kind, text) == ("punct", "{"):
            names = []
            while (item := self.take()) != ("punct", "}"):
                names.append(item[1])
            self.expect(":")
            return self.primary(_restrict(fields, names))
        if (kind, text) == ("punct", "("):
            self.depth += 1
            if self.depth > _MAX_NESTING:
                raise BadQuery(f"the query nests parentheses deeper than {_MAX_NESTING} levels")
            node = self.or_(fields)
            self.expect(")")
            self.depth -= 1
            return node
        if (kind, text) == ("word", "NEAR") and self.peek() == ("punct", "("):
            return self.near(fields)
        if kind == "word" and text in _OPERATORS:
            raise BadQuery(f"{text} needs a word or phrase on each side")
        if kind not in {"word", "string"}:
            raise BadQuery(f"unexpected {text!r} in the query")
        words = _words_of(text)
        if self.peek() == ("punct", "*"):
            self.take()
            return Prefix(text=words, fields=fields)
        if kind == "string":
            return Phrase(text=words, fields=fields)
        return Term(text=words, fields=fields)

    def near(self, fields: tuple[TextField, ...]) -> Node:
        self.expect("(")
        phrases: list[str] = []
        distance = _NEAR_DEFAULT
        while (item := self.take()) != ("punct", ")"):
            if item == ("punct", ",") and self.peek() is not None:
                raw = self.take()[1]
                if not raw.isdigit():
                    raise BadQuery("NEAR distance must be a whole number")
                distance = int(raw)
            elif item[0] in {"word", "string"}:
                phrases.append(_words_of(item[1]))
            else:
                raise BadQuery(f"unexpected {item[1]!r} inside NEAR(...)")
        if len(phrases) < 2:
            raise BadQuery("NEAR(...) needs at least two words or phrases")
        if distance > 1000:
            raise BadQuery("NEAR distance must be at most 1000")
        return Near(phrases=tuple(phrases), distance=distance, fields=fields)


def _restrict(fields: tuple[TextField, ...], names: list[str]) -> tuple[TextField, ...]:
    """Narrow `fields` (() = every field) to `names`; an empty result matches nothing."""
    unknown = [n for n in names if n not in TEXT_FIELDS]
    if unknown:
        raise BadQuery(f"unknown field {unknown[0]!r}; searchable fields: {', '.join(TEXT_FIELDS)}")
    current: tuple[TextField, ...] = fields or _ALL_FIELDS
    narrowed = tuple(f for f in current if f in names)
    if not narrowed:
        raise BadQuery(f"the field filter {', '.join(names)} leaves no field to search")
    return narrowed


def advanced_tree(text: str) -> Node | None:
    """Parse the advanced syntax (see the module docstring); None for a blank query."""
    if not text.strip():
        return None
    return _Parser(text).parse()
