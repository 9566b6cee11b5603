"""CQL2 text (filter-lang=cql2-text) -> a neutral query tree (moisson/query.py).

Both backends run the tree, so what is accepted here is answered alike on SQLite and
OpenSearch. Accepted (basic CQL2 plus the spatial and temporal operators the queryables
need), anything else is a 400 naming what is not supported:

- `AND`, `OR`, `NOT`, parentheses, at any nesting up to 32 levels;
- on the keyword queryables (`type`, `keyword`, `theme`, `source`, `organisation`, `format`,
  `protocol`, `language`, `id`, `externalId`): `=`, `<>`, `IN (...)`, `NOT IN (...)`,
  `LIKE 'abc%'` (a prefix: only a trailing `%`), `IS NULL`, `IS NOT NULL`;
- on the date queryables (`updated`: the revision date, as the records' `updated` property;
  `created`; `datetime`: the reference date, as the `datetime` parameter): `=`, `<>`, `<`,
  `<=`, `>`, `>=` with `DATE('...')`, `TIMESTAMP('...')` or a quoted date, and
  `T_INTERSECTS` / `T_DURING` (with `INTERVAL('a', 'b')`, `..` for an open end), `T_AFTER`,
  `T_BEFORE`, `T_EQUALS`;
- `S_INTERSECTS(geometry, BBOX(w, s, e, n))`, `ENVELOPE(w, e, n, s)` and `S_WITHIN`.

Limits against hostile input: 4,000 characters, 32 nesting levels, 200 literal values, 500
characters per literal (the tree itself is bounded again by the Query model).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from moisson.errors import BadQuery
from moisson.query import And, Exists, FieldFilter, Node, Not, Or, Range, Spatial
from moisson.record import BBox

__all__ = ["DATE_QUERYABLES", "FACET_QUERYABLES", "parse_cql2"]

MAX_LENGTH = 4000
MAX_DEPTH = 32
MAX_VALUES = 200
MAX_LITERAL = 500

# Queryable name -> the keyword field it filters.
FACET_QUERYABLES = {
    "type": "resource_type",
    "keyword": "keyword",
    "keywords": "keyword",
    "organisation": "organisation",
    "organization": "organisation",
    "format": "format",
    "protocol": "protocol",
    "source": "source",
    "theme": "theme",
    "language": "language",
    "id": "id",
    "externalId": "identifier",
}
# Queryable name -> the date field it compares.
DATE_QUERYABLES = {"updated": "modified", "created": "created", "datetime": "date"}
GEOMETRY_QUERYABLES = ("geometry",)
_DAY = timedelta(days=1)

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<op><>|<=|>=|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_][A-Za-z0-9_:.\-]*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise BadQuery(f"filter: cannot read CQL2 text at character {position + 1}")
        kind = found.lastgroup or ""
        value = found.group(kind)
        if kind == "string":
            value = value[1:-1].replace("''", "'")
            if len(value) > MAX_LITERAL:
                raise BadQuery(f"filter: a literal is longer than {MAX_LITERAL} characters")
        tokens.append((kind, value))
        position = found.end()
    return tokens


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise BadQuery(f"filter: {text[:40]!r} is not a date or timestamp") from None


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0
        self.values = 0

    # -- tokens ------------------------------------------------------------------------------

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise BadQuery("filter: the CQL2 text ends too early")
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        found = self.take()[1]
        if found.upper() != value:
            raise BadQuery(f"filter: expected {value!r}, found {found[:40]!r}")

    def word(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1].upper() == value

    def literal(self) -> str:
        kind, value = self.take()
        if kind not in ("string", "number"):
            raise BadQuery(f"filter: expected a literal value, found {value[:40]!r}")
        self.values += 1
        if self.values > MAX_VALUES:
            raise BadQuery(f"filter: more than {MAX_VALUES} literal values")
        return value

    def number(self) -> float:
        kind, value = self.take()
        if kind != "number":
            raise BadQuery(f"filter: expected a number, found {value[:40]!r}")
        return float(value)

    # -- grammar -----------------------------------------------------------------------------

    def parse(self) -> Node:
        node = self.disjunction(0)
        if self.peek() is not None:
            raise BadQuery(f"filter: unexpected {self.take()[1][:40]!r}")
        return node

    def disjunction(self, depth: int) -> Node:
        children = [self.conjunction(depth)]
        while self.word("OR"):
            self.take()
            children.append(self.conjunction(depth))
        return children[0] if len(children) == 1 else Or(children=tuple(children))

    def conjunction(self, depth: int) -> Node:
        children = [self.negation(depth)]
        while self.word("AND"):
            self.take()
            children.append(self.negation(depth))
        return children[0] if len(children) == 1 else And(children=tuple(children))

    def negation(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise BadQuery(f"filter: nested deeper than {MAX_DEPTH} levels")
        if self.word("NOT"):
            self.take()
            return Not(child=self.negation(depth + 1))
        if self.peek() == ("op", "("):
            self.take()
            node = self.disjunction(depth + 1)
            self.expect(")")
            return node
        return self.predicate()

    def predicate(self) -> Node:
        kind, name = self.take()
        if kind != "word":
            raise BadQuery(f"filter: expected a queryable or a function, found {name[:40]!r}")
        upper = name.upper()
        if upper in ("S_INTERSECTS", "S_WITHIN"):
            return self.spatial(upper)
        if upper in ("T_INTERSECTS", "T_DURING", "T_AFTER", "T_BEFORE", "T_EQUALS"):
            return self.temporal(upper)
        if name in DATE_QUERYABLES:
            return self.date_comparison(DATE_QUERYABLES[name])
        if name in FACET_QUERYABLES:
            return self.keyword_comparison(FACET_QUERYABLES[name])
        known = [*FACET_QUERYABLES, *DATE_QUERYABLES, *GEOMETRY_QUERYABLES]
        raise BadQuery(f"filter: unknown queryable {name[:40]!r}; queryables: {', '.join(known)}")

    def keyword_comparison(self, field: str) -> Node:
        negate = False
        if self.word("IS"):
            self.take()
            if self.word("NOT"):
                self.take()
                negate = True
            self.expect("NULL")
            exists = Exists(field=field)  # type: ignore[arg-type]  # FACET_QUERYABLES values
            return exists if negate else Not(child=exists)
        if self.word("NOT"):
            self.take()
            negate = True
        if self.word("IN"):
            self.take()
            self.expect("(")
            values = [self.literal()]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.literal())
            self.expect(")")
            node: Node = FieldFilter(field=field, values=tuple(dict.fromkeys(values)))  # type: ignore[arg-type]
            return Not(child=node) if negate else node
        if self.word("LIKE"):
            self.take()
            pattern = self.literal()
            stem = pattern[:-1] if pattern.endswith("%") else pattern
            if not stem or any(ch in stem for ch in "%_"):
                raise BadQuery("filter: LIKE supports a prefix pattern only ('abc%')")
            node = FieldFilter(field=field, values=(stem,), prefix=pattern.endswith("%"))  # type: ignore[arg-type]
            return Not(child=node) if negate else node
        if negate:
            raise BadQuery("filter: NOT here must be followed by IN or LIKE")
        op = self.take()[1]
        if op not in ("=", "<>"):
            raise BadQuery(f"filter: this queryable supports =, <>, IN, LIKE, IS NULL; not {op!r}")
        node = FieldFilter(field=field, values=(self.literal(),))  # type: ignore[arg-type]
        return Not(child=node) if op == "<>" else node

    def instant(self) -> date:
        kind, function = self.take()
        if kind == "string":
            return _date(function)
        if function.upper() not in ("DATE", "TIMESTAMP"):
            raise BadQuery(f"filter: expected DATE('...') or TIMESTAMP('...'), got {function!r}")
        self.expect("(")
        value = _date(self.literal())
        self.expect(")")
        return value

    def date_comparison(self, field: str) -> Node:
        op = self.take()[1]
        value = self.instant()
        return self.compare(field, op, value, value)

    def compare(self, field: str, op: str, start: date | None, end: date | None) -> Node:
        def span(gte: date | None, lte: date | None) -> Node:
            return Range(field=field, gte=gte, lte=lte)  # type: ignore[arg-type]

        if op in (">=",):
            return span(start, None)
        if op in (">", "T_AFTER"):
            return span((end or start) + _DAY if (end or start) else None, None)
        if op in ("<=",):
            return span(None, end)
        if op in ("<", "T_BEFORE"):
            return span(None, (start or end) - _DAY if (start or end) else None)
        if op in ("=", "T_EQUALS", "T_INTERSECTS", "T_DURING"):
            return span(start, end)
        if op == "<>":
            return Not(child=span(start, end))
        raise BadQuery(f"filter: operator {op!r} is not supported on dates")

    def temporal(self, function: str) -> Node:
        self.expect("(")
        name = self.take()[1]
        if name not in DATE_QUERYABLES:
            raise BadQuery(
                f"filter: {function} applies to {', '.join(DATE_QUERYABLES)}, not {name[:40]!r}"
            )
        self.expect(",")
        if self.word("INTERVAL"):
            self.take()
            self.expect("(")
            start_text = self.literal()
            self.expect(",")
            end_text = self.literal()
            self.expect(")")
            start = None if start_text == ".." else _date(start_text)
            end = None if end_text == ".." else _date(end_text)
            if start is None and end is None:
                raise BadQuery("filter: INTERVAL('..', '..') bounds nothing")
        else:
            start = end = self.instant()
        self.expect(")")
        return self.compare(DATE_QUERYABLES[name], function, start, end)

    def spatial(self, function: str) -> Node:
        self.expect("(")
        name = self.take()[1]
        if name not in GEOMETRY_QUERYABLES:
            raise BadQuery(f"filter: {function} applies to geometry, not {name[:40]!r}")
        self.expect(",")
        shape = self.take()[1].upper()
        self.expect("(")
        numbers = [self.number()]
        while self.peek() == ("op", ","):
            self.take()
            numbers.append(self.number())
        self.expect(")")
        self.expect(")")
        if shape == "BBOX" and len(numbers) in (4, 6):
            half = len(numbers) // 2
            west, south, east, north = numbers[0], numbers[1], numbers[half], numbers[half + 1]
        elif shape == "ENVELOPE" and len(numbers) == 4:
            west, east, north, south = numbers
        else:
            raise BadQuery(f"filter: {function} takes BBOX(w, s, e, n) or ENVELOPE(w, e, n, s)")
        try:
            box = BBox(west=west, south=south, east=east, north=north)
        except ValueError:
            raise BadQuery(
                "filter: the box must be within WGS84 bounds with west <= east and "
                "south <= north (split a box crossing the antimeridian)"
            ) from None
        relation = "within" if function == "S_WITHIN" else "intersects"
        return Spatial(bbox=box, relation=relation)


def parse_cql2(text: str) -> Node | None:
    """The tree of a CQL2 text filter (see the module docstring); None for a blank one."""
    if len(text) > MAX_LENGTH:
        raise BadQuery(f"filter is longer than {MAX_LENGTH} characters")
    if not text.strip():
        return None
    return _Parser(_tokens(text)).parse()
