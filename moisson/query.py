"""The neutral query: what every output protocol translates its request into, and what every
search backend compiles from.

A protocol (the JSON API, CSW, OGC API - Records, the GeoNetwork facade, the CLI) parses its
request into a `Query`; the search service (indexer/search_service.py) adds thesaurus
expansion and runs it on the configured backend; each backend compiles the same tree into
its own engine's language (SQLite FTS5 + numpy masks, OpenSearch bool/span queries). No
backend parses another's strings, and no protocol writes engine syntax.

The contract both backends meet (tests/contract/test_search_backend.py holds them to it):

Text leaves carry the text as the user or protocol gave it; analysis (accents, case,
French/English stems: indexer/analysis.py) is the backend's job, the same on both.

- `Term(text=..., fields=...)`: the word, as its French or English stem. Text that analyses
  into several words ('Loire-Bretagne') is matched as a phrase of them.
- `Phrase`: the words in order, next to each other (stems compared).
- `Prefix`: the words in order, the last one a prefix of an indexed stem ('forê' finds
  'forêt'; 'zones hum' finds 'zones humides').
- `Near`: every phrase of `phrases` within `distance` words of the others, any order.

`fields` restricts a leaf to some of TEXT_FIELDS (title, keywords, abstract); () means all of
them. A leaf whose text holds no word at all is refused (BadQuery) by the backend.

Boolean nodes: `And`, `Or` (at least one child each) and `Not` (unary: everything the child
does not match, within what the rest of the query selects).

Other leaves, usable anywhere in a tree (so a CSW `Or(AnyText LIKE, dc:type =)` is one tree):

- `FieldFilter(field, values)`: the record holds one of `values` in keyword field `field`
  (KEYWORD_FIELDS), compared exactly (case-sensitive, as indexed); with `prefix=True`, one of
  its values starts with one of `values` (a PropertyIsLike 'abc%', an ES prefix query).
- `Range(field, gte, lte)`: the record's date `field` (DATE_FIELDS; `revised` is read as
  `modified`) lies within the bounds (inclusive; either may be None). A record without that
  date never matches a Range.
- `Spatial(bbox, relation)`: a record box intersects `bbox` (touching counts), or, with
  `within`, every box of the record lies inside it. Records without a box never match.
- `Exists(field)`: the record has a value for a keyword or date field (PropertyIsNull is
  `Not(Exists(...))`).

Text leaves inside `Query.text` or `Query.where` are what ranks hits by relevance (BM25 with
the field weights title 10, keywords 4, abstract 1); other leaves only select.

Ordering: `Query.sort_by`, a list of `Sort(field, direction)` over SORT_FIELDS, applied in
order; records missing a sort value come last in either direction; ties are broken by record
id on OpenSearch and by indexing order on SQLite (so tests never rely on tie order). When
`sort_by` is empty, `Query.sort` (relevance, date or title) gives the order as it always did.

Facets: `Query.facets` names the keyword fields to count (None: the eight FACETS; []: none);
each comes back in `Results.facets` with buckets by count then value, the total per value
over the whole result set (filters included).

Paging: `start` (0-based position of the first hit, as CSW startPosition - 1 or ES `from`)
wins over `page` when set; `size` hits from there.

Limits: a tree deeper than MAX_DEPTH, with more than MAX_NODES nodes or costing more than
MAX_CLAUSES engine clauses (text leaves times fields times words; `clauses`), and a filter on a
field not in KEYWORD_FIELDS, are refused when the Query is built, with BadQuery (not a
pydantic ValidationError: the validator raises it as is), so hostile nesting never reaches a
recursive compiler and every protocol gets the same message for its own 400.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from moisson.errors import BadQuery
from moisson.geometry import BBox
from moisson.query_fields import (
    DATE_ALIASES,
    DATE_FIELDS,
    FACETS,
    KEYWORD_FIELDS,
    MAX_CLAUSES,
    MAX_DEPTH,
    MAX_NODES,
    MAX_TEXT,
    MAX_VALUES,
    PREFIX_EXPANSION,
    PUBLIC,
    SORT_FIELDS,
    TEXT_FIELDS,
    DateField,
    KeywordField,
    SortField,
    SortKey,
    TextField,
    date_field,
)

__all__ = [
    "DATE_ALIASES",
    "DATE_FIELDS",
    "FACETS",
    "KEYWORD_FIELDS",
    "MAX_CLAUSES",
    "MAX_DEPTH",
    "MAX_NODES",
    "PUBLIC",
    "SORT_FIELDS",
    "TEXT_FIELDS",
    "And",
    "BBox",
    "DateField",
    "Exists",
    "FieldFilter",
    "KeywordField",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Prefix",
    "Query",
    "Range",
    "Sort",
    "SortField",
    "SortKey",
    "Spatial",
    "Term",
    "TextField",
    "TextLeaf",
    "ThemeExpansion",
    "check_tree",
    "clauses",
    "date_field",
    "walk",
]

class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Term(_Node):
    """A word (see the module docstring)."""

    kind: Literal["term"] = "term"
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    fields: tuple[TextField, ...] = ()


class Phrase(_Node):
    """Words in order, adjacent."""

    kind: Literal["phrase"] = "phrase"
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    fields: tuple[TextField, ...] = ()


class Prefix(_Node):
    """Words in order, the last a prefix."""

    kind: Literal["prefix"] = "prefix"
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    fields: tuple[TextField, ...] = ()


class Near(_Node):
    """Phrases within `distance` words of each other, any order (FTS5's NEAR)."""

    kind: Literal["near"] = "near"
    phrases: tuple[str, ...] = Field(min_length=2, max_length=64)
    distance: int = Field(default=10, ge=0, le=1000)
    fields: tuple[TextField, ...] = ()


class And(_Node):
    kind: Literal["and"] = "and"
    children: tuple[Node, ...] = Field(min_length=1)


class Or(_Node):
    kind: Literal["or"] = "or"
    children: tuple[Node, ...] = Field(min_length=1)


class Not(_Node):
    kind: Literal["not"] = "not"
    child: Node


class FieldFilter(_Node):
    """The record holds one of `values` in keyword field `field` (or one starting with one of
    them, with `prefix`)."""

    kind: Literal["field"] = "field"
    field: KeywordField
    values: tuple[Annotated[str, Field(max_length=MAX_TEXT)], ...] = Field(
        min_length=1, max_length=MAX_VALUES
    )
    prefix: bool = False


class Range(_Node):
    """The record's date `field` within [gte, lte] (inclusive; None: open)."""

    kind: Literal["range"] = "range"
    field: DateField = "date"
    gte: date | None = None
    lte: date | None = None


class Spatial(_Node):
    """A record box intersects `bbox`, or (`within`) every record box lies inside it."""

    kind: Literal["spatial"] = "spatial"
    bbox: BBox
    relation: Literal["intersects", "within"] = "intersects"


class Exists(_Node):
    """The record has a value for keyword or date field `field`."""

    kind: Literal["exists"] = "exists"
    field: KeywordField | DateField


TextLeaf = Term | Phrase | Prefix | Near

Node = Annotated[
    Term | Phrase | Prefix | Near | And | Or | Not | FieldFilter | Range | Spatial | Exists,
    Field(discriminator="kind"),
]

for _model in (And, Or, Not):
    _model.model_rebuild()


def walk(node: Node) -> list[Node]:
    """Every node of a tree, parents before children (iterative: safe on deep trees)."""
    found: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        if isinstance(current, And | Or):
            stack.extend(reversed(current.children))
        elif isinstance(current, Not):
            stack.append(current.child)
    return found


_WORD = re.compile(r"[^\W_]+")


def clauses(node: Node) -> int:
    """What one leaf costs in engine clauses (see MAX_CLAUSES); 0 for inner nodes."""
    if isinstance(node, Term | Phrase | Prefix | Near):
        fields = len(node.fields) or len(TEXT_FIELDS)
        texts = node.phrases if isinstance(node, Near) else (node.text,)
        words = sum(len(_WORD.findall(text)) for text in texts) or 1
        if isinstance(node, Prefix) and words > 1:
            words += PREFIX_EXPANSION
        return fields * words
    return 0 if isinstance(node, And | Or | Not) else 1


def check_tree(node: Node, name: str, budget: int = MAX_CLAUSES) -> int:
    """Refuse trees deeper than MAX_DEPTH, larger than MAX_NODES or costing more than
    `budget` clauses, iteratively; what the tree costs."""
    count = cost = 0
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        count += 1
        cost += clauses(current)
        if depth > MAX_DEPTH:
            raise BadQuery(f"the {name} query is nested deeper than {MAX_DEPTH} levels")
        if count > MAX_NODES:
            raise BadQuery(f"the {name} query has more than {MAX_NODES} conditions")
        if cost > budget:
            raise BadQuery(
                f"the {name} query has too many words and conditions (over {MAX_CLAUSES} "
                "terms to look up); simplify it"
            )
        if isinstance(current, And | Or):
            stack.extend((child, depth + 1) for child in current.children)
        elif isinstance(current, Not):
            stack.append((current.child, depth + 1))
    return cost


class Sort(_Node):
    field: SortField
    direction: Literal["asc", "desc"] = "asc"


class ThemeExpansion(BaseModel):
    """Query expansion from the thesaurus: the words of `phrase` (part or all of `q`) are
    also satisfied by a record filed under any of `concepts` (theme facet values), so
    'zones humides' finds a record only described as 'wetlands'. Backends apply it as a tree
    rewrite of q's parse (indexer/query_text.py: `expanded`)."""

    model_config = ConfigDict(extra="forbid")

    phrase: str
    concepts: list[str]


class Query(BaseModel):
    """A search request, already validated: backends can trust every field.

    Text: `q` is the user's text, parsed by the indexer (plain words, or FTS5-like syntax
    with `advanced`) into a tree and expanded with `expansions`; `text`, when set, is the
    text tree a protocol built itself and replaces q's parse (q is then only echoed).
    `where` is any tree ANDed with the rest (protocol constraints: CSW filters, CQL2, ES
    bool clauses). `filters` (keyword field -> values, values OR'ed, fields AND'ed; any of
    KEYWORD_FIELDS), `ranges`, `bbox` (intersects) and `date_from`/`date_to` (on the
    reference date) are shorthands ANDed too.

    `roles` are the caller's: a backend returns, counts and pages only records whose
    `access` holds PUBLIC or one of them, inside its own query (never by filtering a page).
    The default [] is an anonymous caller; None means no restriction (admins and internal
    jobs only: set it explicitly)."""

    model_config = ConfigDict(extra="forbid")

    q: str = ""
    text: Node | None = None
    where: Node | None = None
    filters: dict[str, list[str]] = {}
    ranges: list[Range] = []
    bbox: BBox | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = Field(default=1, ge=1)
    start: int | None = Field(default=None, ge=0)
    size: int = Field(default=20, ge=0, le=100)
    sort: SortKey = "relevance"
    sort_by: list[Sort] = Field(default=[], max_length=8)
    lang: str | None = None
    facet_size: int = Field(default=10, ge=1, le=200)
    # Which keyword fields to count (any of KEYWORD_FIELDS, in this order); None: FACETS.
    facets: list[str] | None = Field(default=None, max_length=len(KEYWORD_FIELDS))
    advanced: bool = False  # FTS5-like syntax in q; off by default so user terms are escaped
    expansions: list[ThemeExpansion] = []  # plain queries only; see ThemeExpansion
    roles: list[str] | None = []
    # One hit per duplicate cluster (see moisson.record.Collapse), counted once in totals
    # and facets; False shows every copy.
    collapse: bool = True

    @model_validator(mode="after")
    def _bounded(self) -> Query:
        budget = MAX_CLAUSES
        for name in ("text", "where"):
            tree = getattr(self, name)
            if tree is not None:
                budget -= check_tree(tree, name, budget)
        unknown = sorted(set(self.filters) - set(KEYWORD_FIELDS))
        if unknown:
            raise BadQuery(
                f"unknown filter {unknown[0]!r}; filters are: {', '.join(KEYWORD_FIELDS)}"
            )
        unknown = sorted(set(self.facets or ()) - set(KEYWORD_FIELDS))
        if unknown:
            raise BadQuery(
                f"unknown facet {unknown[0]!r}; facets can count: {', '.join(KEYWORD_FIELDS)}"
            )
        return self

    def facet_names(self) -> list[str]:
        """The keyword fields to count: `facets`, else every facet of FACETS."""
        return list(dict.fromkeys(self.facets)) if self.facets is not None else list(FACETS)

    def visible(self) -> list[str] | None:
        """The `access` values this caller may see; None: everything."""
        return None if self.roles is None else [PUBLIC, *self.roles]

    def offset(self) -> int:
        """Position of the first hit: `start`, else from the page number."""
        return self.start if self.start is not None else (self.page - 1) * self.size

    def ordering(self) -> list[Sort]:
        """The sort keys to apply: `sort_by`, else `sort` with its usual direction
        (relevance and date: best / newest first; title: A to Z)."""
        if self.sort_by:
            return list(self.sort_by)
        return [Sort(field=self.sort, direction="asc" if self.sort == "title" else "desc")]

    def conditions(self) -> list[Node]:
        """Every selecting condition except the text query and access/collapse, as nodes
        (filters, ranges, bbox, date range and `where`), to be ANDed."""
        found: list[Node] = [
            FieldFilter(field=name, values=tuple(values))
            for name, values in self.filters.items()
            if values
        ]
        found += self.ranges
        if self.bbox is not None:
            found.append(Spatial(bbox=self.bbox))
        if self.date_from is not None or self.date_to is not None:
            found.append(Range(field="date", gte=self.date_from, lte=self.date_to))
        if self.where is not None:
            found.append(self.where)
        return found
