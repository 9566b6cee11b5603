"""OGC CQL text (`CONSTRAINTLANGUAGE=CQL_TEXT`, the CSW 2.0.2 text constraint) into the neutral
query tree, with the same meaning as the Filter Encoding reader (conditions.py).

Grammar read (keywords case-insensitive):

    expr      := and_expr ( OR and_expr )*
    and_expr  := not_expr ( AND not_expr )*
    not_expr  := NOT not_expr | '(' expr ')' | bbox | predicate
    bbox      := BBOX '(' queryable ',' n ',' n ',' n ',' n [ ',' 'crs' ] ')'
    predicate := queryable ( [NOT] LIKE string | op literal | [NOT] BETWEEN literal AND literal
                             | IS [NOT] NULL )
    op        := = | <> | != | < | <= | > | >=
    literal   := 'string' ('' escapes a quote) | number

BBOX numbers are west, south, east, north (CRS84 order, as CQL writes x before y) unless a
third-party CRS name is given as sixth argument (EPSG:4326 is then latitude first). LIKE
wildcards are `%` and `_`, escape `\\`. Nesting is bounded by moisson.query.MAX_DEPTH and
the text by MAX_CQL characters; anything not in the grammar is InvalidParameterValue at
locator `constraint`, with the position.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from moisson.query import MAX_DEPTH, And, Node, Not, Or
from publish.csw import conditions
from publish.csw.errors import CswError
from publish.csw.queryables import lookup

__all__ = ["MAX_CQL", "cql_node"]

MAX_CQL = 20_000
LOCATOR = "constraint"

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<op><>|!=|<=|>=|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][\w.:/-]*)
    )""",
    re.VERBOSE,
)


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            if text[position:].strip() == "":
                break
            match = _TOKEN.match(text, position)
            if match is None or match.lastgroup is None:
                raise _fail(
                    f"unexpected character at position {position + 1}: "
                    f"{text[position : position + 20]!r}"
                )
            self.items.append((match.lastgroup, match.group(match.lastgroup), match.start()))
            position = match.end()
        self.index = 0

    def peek(self, offset: int = 0) -> tuple[str, str, int] | None:
        spot = self.index + offset
        return self.items[spot] if spot < len(self.items) else None

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() in words:
            self.index += 1
            return True
        return False

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            where = f"at position {token[2] + 1}" if token else "at the end"
            wanted = value or kind
            raise _fail(f"expected {wanted} {where} of the CQL constraint")
        self.index += 1
        return token[1]


def _fail(message: str) -> CswError:
    return CswError("InvalidParameterValue", message, LOCATOR)


def cql_node(text: str) -> Node | None:
    """The tree for a CQL constraint; None when it selects every record."""
    if len(text) > MAX_CQL:
        raise _fail(f"the CQL constraint is over {MAX_CQL} characters")
    if not text.strip():
        raise _fail("the CQL constraint is empty")
    tokens = _Tokens(text)
    try:
        node = _expr(tokens, 1)
    except ValidationError as exc:
        raise conditions.refused(exc, LOCATOR) from None
    extra = tokens.peek()
    if extra is not None:
        raise _fail(f"unexpected {extra[1][:40]!r} at position {extra[2] + 1}")
    return node


def _expr(tokens: _Tokens, depth: int) -> Node | None:
    parts = [_and(tokens, depth)]
    while tokens.keyword("OR"):
        parts.append(_and(tokens, depth))
    if len(parts) == 1:
        return parts[0]
    if any(p is None for p in parts):
        return None
    return Or(children=tuple(p for p in parts if p is not None))


def _and(tokens: _Tokens, depth: int) -> Node | None:
    parts = [_not(tokens, depth)]
    while tokens.keyword("AND"):
        parts.append(_not(tokens, depth))
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else And(children=tuple(kept))


def _not(tokens: _Tokens, depth: int) -> Node | None:
    if depth > MAX_DEPTH:
        raise _fail(f"the CQL constraint is nested deeper than {MAX_DEPTH} levels")
    if tokens.keyword("NOT"):
        child = _not(tokens, depth + 1)
        if child is None:
            raise _fail("NOT of a condition every record meets selects nothing")
        return Not(child=child)
    token = tokens.peek()
    if token is None:
        raise _fail("the CQL constraint ends too early")
    if token[0] == "punct" and token[1] == "(":
        tokens.take("punct", "(")
        node = _expr(tokens, depth + 1)
        tokens.take("punct", ")")
        return node
    if token[0] == "word" and token[1].upper() == "BBOX":
        return _bbox(tokens)
    return _predicate(tokens)


def _literal(tokens: _Tokens) -> str:
    token = tokens.peek()
    if token is not None and token[0] == "string":
        tokens.index += 1
        return token[1][1:-1].replace("''", "'")
    if token is not None and token[0] == "number":
        tokens.index += 1
        return token[1]
    where = f"position {token[2] + 1}" if token else "the end"
    raise _fail(f"expected a 'quoted string' or a number at {where}")


def _predicate(tokens: _Tokens) -> Node | None:
    queryable = lookup(tokens.take("word"), LOCATOR)
    negate = tokens.keyword("NOT")
    node: Node | None
    if tokens.keyword("LIKE", "ILIKE"):
        node = conditions.like(queryable, _literal(tokens), LOCATOR)
    elif tokens.keyword("BETWEEN"):
        low = _literal(tokens)
        if not tokens.keyword("AND"):
            raise _fail("BETWEEN needs 'low AND high'")
        node = conditions.between(queryable, low, _literal(tokens), LOCATOR)
    elif not negate and tokens.keyword("IS"):
        negate = tokens.keyword("NOT")
        if not tokens.keyword("NULL"):
            raise _fail("IS must be followed by [NOT] NULL")
        node = conditions.is_null(queryable, LOCATOR)
    elif not negate:
        op = tokens.take("op")
        return conditions.compare(queryable, "<>" if op == "!=" else op, _literal(tokens), LOCATOR)
    else:
        raise _fail("NOT must be followed by LIKE or BETWEEN here")
    if not negate:
        return node
    if node is None:
        raise _fail("NOT of a condition every record meets selects nothing")
    return Not(child=node)


def _bbox(tokens: _Tokens) -> Node:
    tokens.keyword("BBOX")
    tokens.take("punct", "(")
    queryable = lookup(tokens.take("word"), LOCATOR)
    if queryable.kind != "spatial":
        raise _fail(f"BBOX applies to ows:BoundingBox, not {queryable.name}")
    numbers: list[float] = []
    for _ in range(4):
        tokens.take("punct", ",")
        numbers.append(float(tokens.take("number")))
    crs = "urn:ogc:def:crs:OGC:1.3:CRS84"
    token = tokens.peek()
    if token is not None and token[0] == "punct" and token[1] == ",":
        tokens.take("punct", ",")
        crs = _literal(tokens)
    tokens.take("punct", ")")
    return conditions.bbox_node(numbers, crs, LOCATOR)
