"""The body of `POST /search/records/_search`: the Elasticsearch DSL subset the datahub sends,
translated into a neutral `Query` (moisson/query.py), never passed through.

Accepted (anything else is a 400 naming the clause):

- top level: `query`, `from`, `size` (0..100; from + size <= 10,000), `sort`, `_source`,
  `track_total_hits` (totals are always exact), `aggregations` / `aggs`
  (publish/gn4/aggregations.py), `runtime_mappings` for the fields Moisson precomputes
  (`isSpatial`, `license`, `resourceTypeLegacy`: their scripts are never run);
- queries: `bool` (must / filter / should / must_not, `minimum_should_match` 1),
  `terms`, `term`, `ids`, `match_all`, `exists`, `wildcard` (a literal or a trailing `*`),
  `query_string` (publish/gn4/lucene.py), `multi_match` (`bool_prefix`, `best_fields`,
  `phrase_prefix`) and `more_like_this` with `like` documents or texts.

Bounds: the JSON nests at most MAX_JSON_DEPTH levels, at most MAX_CLAUSES_SEEN query clauses;
the neutral Query then applies its own (depth, nodes, engine clauses).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from moisson.errors import BadQuery
from moisson.query import (
    MAX_DEPTH,
    Exists,
    FieldFilter,
    Node,
    Prefix,
    Sort,
    Term,
    TextField,
)
from publish.gn4.fields import (
    CONSTANTS,
    EVERYTHING,
    KEYWORDS,
    NOTHING,
    SORTS,
    SPATIAL,
    both,
    either,
    negate,
    text_fields,
)
from publish.gn4.lucene import TextTarget, ThemeResolver, parse_query_string

__all__ = ["MAX_JSON_DEPTH", "MAX_SIZE", "SearchBody", "Translator", "json_depth", "parse_body"]

MAX_JSON_DEPTH = 40
MAX_SIZE = 100
MAX_WINDOW = 10_000
MAX_CLAUSES_SEEN = 500
_TOP = {
    "query",
    "from",
    "size",
    "sort",
    "_source",
    "track_total_hits",
    "aggregations",
    "aggs",
    "runtime_mappings",
}
_PRECOMPUTED = {"isSpatial", "license", "resourceTypeLegacy"}
_WORD = re.compile(r"[^\W_]{3,}")
_STOP = frozenset(
    [
        "les",
        "des",
        "une",
        "aux",
        "pour",
        "par",
        "sur",
        "dans",
        "avec",
        "est",
        "son",
        "ses",
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "are",
        "its",
        "was",
        "has",
        "have",
        "not",
        "but",
        "qui",
        "que",
    ]
)


@dataclass
class SearchBody:
    """What a body asks: the condition tree, paging, order, `_source` patterns and the raw
    aggregation requests (validated by publish/gn4/aggregations.py)."""

    where: Node = EVERYTHING
    start: int = 0
    size: int = 10
    sort: list[Sort] = field(default_factory=list)
    source: list[str] | None = None  # include patterns; None: the whole document
    excludes: list[str] = field(default_factory=list)
    aggregations: dict[str, Any] = field(default_factory=dict)
    by_ids: bool = False  # an `ids` lookup: every copy, not one per duplicate cluster


def json_depth(value: Any) -> int:
    """How deeply `value` nests (iterative)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            return depth
        if isinstance(current, dict):
            stack.extend((v, depth + 1) for v in current.values())
        elif isinstance(current, list):
            stack.extend((v, depth + 1) for v in current)
    return deepest


def _int(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadQuery(f"[{name}] must be an integer")
    return value


def parse_body(body: Any, resolve_theme: ThemeResolver | None = None) -> SearchBody:
    """The SearchBody of a decoded JSON body (BadQuery for anything outside the subset)."""
    if not isinstance(body, dict):
        raise BadQuery("the request body must be a JSON object")
    if json_depth(body) > MAX_JSON_DEPTH:
        raise BadQuery(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
    unknown = sorted(set(body) - _TOP)
    if unknown:
        raise BadQuery(f"unsupported search parameter [{unknown[0][:80]}]")
    for name in body.get("runtime_mappings") or {}:
        if name not in _PRECOMPUTED:
            raise BadQuery(f"runtime field [{name[:80]}] is not supported (scripts never run)")
    start = _int(body, "from", 0)
    size = _int(body, "size", 10)
    if start < 0 or size < 0:
        raise BadQuery("[from] and [size] must not be negative")
    if size > MAX_SIZE:
        raise BadQuery(f"[size] must be at most {MAX_SIZE}")
    if start + size > MAX_WINDOW:
        raise BadQuery(f"[from] + [size] must be at most {MAX_WINDOW}")
    track = body.get("track_total_hits", True)
    if not isinstance(track, bool | int):
        raise BadQuery("[track_total_hits] must be a boolean or an integer")
    translator = Translator(resolve_theme)
    found = SearchBody(start=start, size=size)
    if "query" in body:
        found.where = translator.query(body["query"], 1)
        found.by_ids = translator.ids_only(body["query"])
    found.sort = _sort(body.get("sort", []))
    found.source, found.excludes = _source(body.get("_source"))
    aggs = body.get("aggregations", body.get("aggs", {}))
    if "aggregations" in body and "aggs" in body:
        raise BadQuery("give [aggregations] or [aggs], not both")
    if not isinstance(aggs, dict):
        raise BadQuery("[aggregations] must be an object")
    found.aggregations = aggs
    return found


def _sort(value: Any) -> list[Sort]:
    items = value if isinstance(value, list) else [value]
    found: list[Sort] = []
    for item in items:
        if isinstance(item, str):
            name, direction = item, "desc" if item == "_score" else "asc"
        elif isinstance(item, dict) and len(item) == 1:
            name, spec = next(iter(item.items()))
            direction = spec.get("order", "asc") if isinstance(spec, dict) else spec
        else:
            raise BadQuery("each [sort] entry must be a field name or {field: order}")
        if direction not in ("asc", "desc"):
            raise BadQuery(f"sort order must be asc or desc, not {str(direction)[:20]!r}")
        if name not in SORTS:
            raise BadQuery(f"cannot sort on [{str(name)[:80]}]; sortable: {', '.join(SORTS)}")
        target = SORTS[name]
        if target is not None and len(found) < 8:
            found.append(Sort(field=target, direction=direction))
    return found


def _source(value: Any) -> tuple[list[str] | None, list[str]]:
    if value is None or value is True:
        return None, []
    if value is False:
        return [], []
    if isinstance(value, str):
        return [value], []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value), []
    if isinstance(value, dict) and set(value) <= {"includes", "excludes"}:
        inc, exc = value.get("includes"), value.get("excludes", [])
        inc_list = None if inc in (None, []) else _source(inc)[0]
        exc_list = _source(exc)[0] or []
        return inc_list, exc_list
    raise BadQuery("[_source] must be a boolean, a pattern, a list or {includes, excludes}")


def _one(clause: Any, name: str) -> tuple[str, Any]:
    if not isinstance(clause, dict) or len(clause) != 1:
        raise BadQuery(f"[{name}] must hold exactly one field")
    key, value = next(iter(clause.items()))
    return str(key), value


class Translator:
    def __init__(self, resolve_theme: ThemeResolver | None) -> None:
        self.resolve_theme = resolve_theme
        self.seen = 0

    def ids_only(self, clause: Any) -> bool:
        return isinstance(clause, dict) and set(clause) == {"ids"}

    def query(self, clause: Any, depth: int) -> Node:
        self.seen += 1
        if self.seen > MAX_CLAUSES_SEEN:
            raise BadQuery(f"the query has more than {MAX_CLAUSES_SEEN} clauses")
        if depth > MAX_DEPTH:
            raise BadQuery(f"the query is nested deeper than {MAX_DEPTH} levels")
        kind, spec = _one(clause, "query")
        handler = getattr(self, "q_" + kind, None)
        if handler is None:
            raise BadQuery(f"unsupported query clause [{kind[:80]}]")
        node: Node = handler(spec, depth)
        return node

    def _list(self, spec: dict[str, Any], name: str) -> list[Any]:
        value = spec.get(name, [])
        return value if isinstance(value, list) else [value]

    def q_bool(self, spec: Any, depth: int) -> Node:
        if not isinstance(spec, dict):
            raise BadQuery("[bool] must be an object")
        unknown = set(spec) - {"must", "filter", "should", "must_not", "minimum_should_match"}
        if unknown:
            raise BadQuery(f"unsupported bool parameter [{sorted(unknown)[0][:80]}]")
        required = [
            self.query(c, depth + 1) for n in ("must", "filter") for c in self._list(spec, n)
        ]
        should = [self.query(c, depth + 1) for c in self._list(spec, "should")]
        excluded = [negate(self.query(c, depth + 1)) for c in self._list(spec, "must_not")]
        minimum = spec.get("minimum_should_match", 0 if required else 1)
        if minimum not in (0, 1, "1", "0"):
            raise BadQuery("minimum_should_match must be 0 or 1")
        if should and str(minimum) == "1":
            required.append(either(should))
        return both(required + excluded)

    def q_match_all(self, spec: Any, depth: int) -> Node:
        return EVERYTHING

    def q_terms(self, spec: Any, depth: int) -> Node:
        name, values = _one(spec, "terms")
        if not isinstance(values, list) or not all(isinstance(v, str | int) for v in values):
            raise BadQuery(f"[terms] on [{name[:80]}] needs a list of values")
        return self.keyword(name, [str(v) for v in values], prefix=False)

    def q_term(self, spec: Any, depth: int) -> Node:
        name, value = _one(spec, "term")
        if isinstance(value, dict):
            value = value.get("value")
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise BadQuery(f"[term] on [{name[:80]}] needs a value")
        return self.keyword(name, [str(value)], prefix=False)

    def q_ids(self, spec: Any, depth: int) -> Node:
        values = spec.get("values") if isinstance(spec, dict) else None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise BadQuery("[ids] needs a list of values")
        return FieldFilter(field="id", values=tuple(values)) if values else NOTHING

    def q_exists(self, spec: Any, depth: int) -> Node:
        name = spec.get("field") if isinstance(spec, dict) else None
        if name in CONSTANTS:
            return EVERYTHING if CONSTANTS[name] else NOTHING
        if not isinstance(name, str) or name not in KEYWORDS:
            raise BadQuery(f"[exists] on unknown field [{str(name)[:80]}]")
        return Exists(field=KEYWORDS[name])

    def q_wildcard(self, spec: Any, depth: int) -> Node:
        name, value = _one(spec, "wildcard")
        if isinstance(value, dict):
            value = value.get("value")
        if not isinstance(value, str):
            raise BadQuery("[wildcard] needs a string value")
        body = value.rstrip("*")
        if "*" in body or "?" in body:
            raise BadQuery("[wildcard] supports a trailing * only")
        return self.keyword(name, [body], prefix=body != value)

    def keyword(self, name: str, values: list[str], prefix: bool) -> Node:
        if name in CONSTANTS:
            return EVERYTHING if CONSTANTS[name] & set(values) else NOTHING
        if name == "isSpatial":
            nodes = [
                SPATIAL if v == "yes" else negate(SPATIAL) for v in values if v in ("yes", "no")
            ]
            return either(nodes)
        if name not in KEYWORDS:
            raise BadQuery(f"unknown field [{name[:80]}]")
        if not values:
            return NOTHING
        target = KEYWORDS[name]
        if target == "theme" and self.resolve_theme is not None:
            values = [c for v in values for c in (self.resolve_theme(v) or [v])]
        return FieldFilter(field=target, values=tuple(values), prefix=prefix)

    def q_query_string(self, spec: Any, depth: int) -> Node:
        if not isinstance(spec, dict) or not isinstance(spec.get("query"), str):
            raise BadQuery("[query_string] needs a query string")
        unknown = set(spec) - {
            "query",
            "default_operator",
            "fields",
            "default_field",
            "analyze_wildcard",
        }
        if unknown:
            raise BadQuery(f"unsupported query_string parameter [{sorted(unknown)[0][:80]}]")
        operator = str(spec.get("default_operator", "OR")).upper()
        if operator not in ("AND", "OR"):
            raise BadQuery("default_operator must be AND or OR")
        names = spec.get("fields") or [spec.get("default_field", "any.*")]
        target = self.target(names)
        return parse_query_string(spec["query"], target, operator == "AND", self.resolve_theme)

    def target(self, names: Any) -> TextTarget:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise BadQuery("[fields] must be a list of field names")
        found = text_fields(names)
        if found is None:
            bad = next(n for n in names if text_fields([n]) is None)
            raise BadQuery(f"cannot search text in field [{bad[:80]}]")
        fields, uuid = found
        return TextTarget(fields=fields, uuid=uuid)

    def q_multi_match(self, spec: Any, depth: int) -> Node:
        if not isinstance(spec, dict) or not isinstance(spec.get("query"), str):
            raise BadQuery("[multi_match] needs a query string")
        kind = spec.get("type", "best_fields")
        if kind not in ("bool_prefix", "best_fields", "phrase_prefix", "most_fields"):
            raise BadQuery(f"multi_match type [{str(kind)[:40]}] is not supported")
        names = [n for n in spec.get("fields", ["any.*"]) if isinstance(n, str)]
        keyword_names = [n.split("^")[0] for n in names if n.split("^")[0] in KEYWORDS]
        target = self.target([n for n in names if n.split("^")[0] not in KEYWORDS] or ["any.*"])
        text = spec["query"].strip()
        if not _WORD.findall(text) and not text:
            return NOTHING
        if len(text) > 1000:
            raise BadQuery("[multi_match] query is longer than 1000 characters")
        fields: tuple[TextField, ...] = target.fields
        words = text.split()
        nodes: list[Node] = []
        if kind in ("bool_prefix", "phrase_prefix"):
            nodes.append(Prefix(text=text, fields=fields))
        else:
            nodes.append(both([Term(text=w, fields=fields) for w in words]))
        nodes += [self.keyword(n, [text], prefix=kind != "best_fields") for n in keyword_names]
        return either(nodes)

    def q_more_like_this(self, spec: Any, depth: int) -> Node:
        if not isinstance(spec, dict):
            raise BadQuery("[more_like_this] must be an object")
        likes = spec.get("like", [])
        likes = likes if isinstance(likes, list) else [likes]
        target = self.target(spec.get("fields", ["any.*"]))
        texts: list[str] = []
        for like in likes[:20]:
            if isinstance(like, str):
                texts.append(like)
            elif isinstance(like, dict) and isinstance(like.get("doc"), dict):
                texts.extend(_strings(like["doc"]))
            else:
                raise BadQuery("[more_like_this] like must be texts or {doc: ...}")
        limit = spec.get("max_query_terms", 12)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 50:
            raise BadQuery("max_query_terms must be an integer from 1 to 50")
        counts = Counter(
            w.lower() for t in texts for w in _WORD.findall(t) if w.lower() not in _STOP
        )
        terms = [w for w, _ in counts.most_common(limit)]
        if not terms:
            return NOTHING
        return either([Term(text=w, fields=target.fields) for w in terms])


def _strings(value: Any) -> list[str]:
    """Every string in a JSON value (iterative; depth is already bounded)."""
    found: list[str] = []
    stack = [value]
    while stack and len(found) < 200:
        current = stack.pop()
        if isinstance(current, str):
            found.append(current[:5000])
        elif isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found
