"""A CQL2 text subset -> the constraints `Query` can run (filter-lang=cql2-text).

`Query` is a conjunction (facet filters ANDed, values of one facet ORed, one bbox, one date
range), so this accepts exactly what maps onto it, and refuses the rest with a 400 that
says what is not supported, never a silent partial answer:

- comparisons on the queryables: `type = 'dataset'`, `keyword = 'eau'`, `source IN ('a',
  'b')`, `theme = 'water'`; an OR of equalities on one queryable;
- `updated` / `datetime` compared (`>=`, `>`, `<=`, `<`, `=`) with `DATE('...')` or
  `TIMESTAMP('...')`, or `T_INTERSECTS` / `T_DURING` with `INTERVAL('a', 'b')`, `T_AFTER`,
  `T_BEFORE`: a range on the record's reference date;
- `S_INTERSECTS(geometry, BBOX(w, s, e, n))` or `ENVELOPE(w, e, n, s)`: the bbox filter;
- `AND` between any of these, parentheses.

Limits against hostile input: 4,000 characters, 32 nesting levels, 200 literal values, 500
characters per literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from moisson.errors import BadQuery
from moisson.record import BBox

__all__ = ["FACET_QUERYABLES", "Constraints", "parse_cql2"]

MAX_LENGTH = 4000
MAX_DEPTH = 32
MAX_VALUES = 200
MAX_LITERAL = 500

# Queryable name -> the facet (Query.filters key) it filters.
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
}
DATE_QUERYABLES = ("updated", "datetime")
GEOMETRY_QUERYABLES = ("geometry",)

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<op><>|<=|>=|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_][A-Za-z0-9_:.\-]*))"
)


class _TooDeep(BadQuery):
    """Not retried as another reading of the parentheses."""


@dataclass
class Constraints:
    filters: dict[str, list[str]] = field(default_factory=dict)
    bbox: BBox | None = None
    date_from: date | None = None
    date_to: date | None = None


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


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0
        self.out = Constraints()
        self.values = 0

    def snapshot(self) -> tuple[Constraints, int]:
        out = self.out
        copied = Constraints(
            {k: list(v) for k, v in out.filters.items()}, out.bbox, out.date_from, out.date_to
        )
        return copied, self.values

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise BadQuery("filter: the CQL2 text ends too early")
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        _kind, found = self.take()
        if found.upper() != value:
            raise BadQuery(f"filter: expected {value!r}, found {found!r}")

    def word(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1].upper() == value

    def parse(self) -> Constraints:
        self.conjunction(0)
        if self.peek() is not None:
            raise BadQuery(f"filter: unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return self.out

    def conjunction(self, depth: int) -> None:
        self.term(depth)
        while self.word("AND"):
            self.take()
            self.term(depth)
        if self.word("OR"):
            raise BadQuery(
                "filter: OR is supported between equalities on one queryable only "
                "(e.g. type = 'dataset' OR type = 'series'; or use IN)"
            )

    def term(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise _TooDeep(f"filter: nested deeper than {MAX_DEPTH} levels")
        token = self.peek()
        if token == ("op", "("):
            self.take()
            start, saved = self.index, self.snapshot()
            try:
                self.conjunction(depth + 1)
            except _TooDeep:
                raise
            except BadQuery:
                self.index, self.out, self.values = start, saved[0], saved[1]
                self.disjunction()
            self.expect(")")
            return
        if self.word("NOT"):
            raise BadQuery("filter: NOT is not supported by this catalogue yet")
        kind, name = self.take()
        if kind != "word":
            raise BadQuery(f"filter: expected a queryable or a function, found {name!r}")
        upper = name.upper()
        if upper == "S_INTERSECTS":
            self.spatial()
        elif upper in ("T_INTERSECTS", "T_DURING", "T_AFTER", "T_BEFORE"):
            self.temporal(upper)
        else:
            self.comparison(name)

    def disjunction(self) -> None:
        """(a = 'x' OR a = 'y' ...): one facet with several values."""
        facet: str | None = None
        values: list[str] = []
        while True:
            name = self.take()[1]
            this = self.facet(name)
            if facet is not None and this != facet:
                raise BadQuery("filter: OR is supported between equalities on one queryable only")
            facet = this
            self.expect("=")
            values.append(self.literal())
            if not self.word("OR"):
                break
            self.take()
        assert facet is not None
        self.add(facet, values)

    def facet(self, name: str) -> str:
        found = FACET_QUERYABLES.get(name.lower())
        if found is None:
            raise BadQuery(
                f"filter: unknown queryable {name!r}; queryables: "
                f"{', '.join([*FACET_QUERYABLES, *DATE_QUERYABLES, *GEOMETRY_QUERYABLES])}"
            )
        return found

    def literal(self) -> str:
        kind, value = self.take()
        if kind not in ("string", "number"):
            raise BadQuery(f"filter: expected a literal value, found {value!r}")
        self.values += 1
        if self.values > MAX_VALUES:
            raise BadQuery(f"filter: more than {MAX_VALUES} literal values")
        return value

    def add(self, facet: str, values: list[str]) -> None:
        current = self.out.filters.get(facet)
        if current is not None:
            common = [v for v in current if v in values]
            if not common:
                raise BadQuery(f"filter: the conditions on {facet} exclude each other")
            self.out.filters[facet] = common
        else:
            self.out.filters[facet] = list(dict.fromkeys(values))

    def comparison(self, name: str) -> None:
        if name.lower() in DATE_QUERYABLES:
            op = self.take()[1]
            value = self.instant()
            self.dates(op, value, value)
            return
        facet = self.facet(name)
        if self.word("IN"):
            self.take()
            self.expect("(")
            values = [self.literal()]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.literal())
            self.expect(")")
            self.add(facet, values)
            return
        op = self.take()[1]
        if op != "=":
            raise BadQuery(f"filter: {name} supports = and IN only, not {op!r}")
        self.add(facet, [self.literal()])

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

    def dates(self, op: str, start: date | None, end: date | None) -> None:
        if op in (">=", ">", "T_AFTER"):
            self.out.date_from = max(filter(None, (self.out.date_from, start)))
        elif op in ("<=", "<", "T_BEFORE"):
            self.out.date_to = min(filter(None, (self.out.date_to, end)))
        elif op in ("=", "T_INTERSECTS", "T_DURING"):
            if start:
                self.out.date_from = max(filter(None, (self.out.date_from, start)))
            if end:
                self.out.date_to = min(filter(None, (self.out.date_to, end)))
        else:
            raise BadQuery(f"filter: operator {op!r} is not supported on dates")

    def temporal(self, function: str) -> None:
        self.expect("(")
        name = self.take()[1]
        if name.lower() not in DATE_QUERYABLES:
            raise BadQuery(f"filter: {function} applies to updated or datetime, not {name!r}")
        self.expect(",")
        if self.word("INTERVAL"):
            self.take()
            self.expect("(")
            start = self.literal()
            self.expect(",")
            end = self.literal()
            self.expect(")")
            self.dates(
                function,
                None if start == ".." else _date(start),
                None if end == ".." else _date(end),
            )
        else:
            value = self.instant()
            self.dates(function, value, value)
        self.expect(")")

    def spatial(self) -> None:
        self.expect("(")
        name = self.take()[1]
        if name.lower() not in GEOMETRY_QUERYABLES:
            raise BadQuery(f"filter: S_INTERSECTS applies to geometry, not {name!r}")
        self.expect(",")
        _kind, function = self.take()
        self.expect("(")
        numbers = [self.number()]
        while self.peek() == ("op", ","):
            self.take()
            numbers.append(self.number())
        self.expect(")")
        self.expect(")")
        if function.upper() == "BBOX" and len(numbers) in (4, 6):
            half = len(numbers) // 2
            west, south, east, north = numbers[0], numbers[1], numbers[half], numbers[half + 1]
        elif function.upper() == "ENVELOPE" and len(numbers) == 4:
            west, east, north, south = numbers
        else:
            raise BadQuery("filter: S_INTERSECTS takes BBOX(w, s, e, n) or ENVELOPE(w, e, n, s)")
        try:
            self.out.bbox = BBox(west=west, south=south, east=east, north=north)
        except ValueError:
            raise BadQuery(
                "filter: the box must be within WGS84 bounds with west <= east and "
                "south <= north (split a box crossing the antimeridian)"
            ) from None

    def number(self) -> float:
        kind, value = self.take()
        if kind != "number":
            raise BadQuery(f"filter: expected a number, found {value!r}")
        return float(value)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise BadQuery(f"filter: {text[:40]!r} is not a date or timestamp") from None


def parse_cql2(text: str) -> Constraints:
    """Parse a CQL2 text filter into constraints (see the module docstring)."""
    if len(text) > MAX_LENGTH:
        raise BadQuery(f"filter is longer than {MAX_LENGTH} characters")
    if not text.strip():
        return Constraints()
    return _Parser(_tokens(text)).parse()
