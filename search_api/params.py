"""Turn the query string of GET /api/search into a validated `Query`.

Shared by the HTTP API and `moisson search`, so the terminal and the web refuse the same
inputs with the same words. Every refusal is a `BadQuery` (HTTP 400) whose message tells the
user what to change: a bad query is the user's to fix, never a 500.

Rules worth knowing:

- An empty value counts as absent (`bbox=` is what an HTML form sends for an empty field).
- Facet filters are repeated parameters named after the facet (`source=a&source=b`):
  values of one facet are ORed, facets are ANDed.
- Unknown parameters are refused rather than ignored, so a typo (`sise=50`) does not
  silently return something other than what was asked for.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date

from pydantic import ValidationError

from indexer.backends.base import FACETS
from indexer.backends.documents import canonical_value
from moisson.config import Settings
from moisson.errors import BadQuery
from moisson.query import (
    DATE_FIELDS,
    KEYWORD_FIELDS,
    SORT_FIELDS,
    Or,
    Range,
    Sort,
    Spatial,
    TextLeaf,
    walk,
)
from moisson.record import BBox, Query

__all__ = [
    "BBOX_PATTERN",
    "BOOLEANS",
    "DATE_PATTERN",
    "FILTER_ONLY",
    "LANG_PATTERN",
    "MAX_PAGE",
    "MAX_Q_LENGTH",
    "RANGE_PARAMS",
    "SCALAR_PARAMS",
    "SORT_KEYS",
    "check_capabilities",
    "parse_boxes",
    "parse_search_args",
    "query_limit",
    "valid_params",
]

logger = logging.getLogger(__name__)

SORT_KEYS = ("relevance", "date", "title")
# Keyword fields of the query model that are filters but not facets (identifiers...).
FILTER_ONLY: tuple[str, ...] = tuple(k for k in KEYWORD_FIELDS if k not in FACETS)
# `<date field>_from` / `_to` for every date field but the reference date (`from`, `to`).
RANGE_PARAMS: tuple[str, ...] = tuple(
    f"{field}_{end}" for field in DATE_FIELDS if field != "date" for end in ("from", "to")
)
SCALAR_PARAMS = (
    "q",
    "page",
    "size",
    "sort",
    "lang",
    "bbox",
    "from",
    "to",
    "facet_size",
    "collapse",
    "start",
)
BOOLEANS = {"true": True, "false": False}
DATE_PATTERN = r"^\d{4}(-\d{2}-\d{2})?$"
NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"  # plain decimals: no exponent, inf or nan
BBOX_PATTERN = rf"^\s*{NUMBER}\s*(?:,\s*{NUMBER}\s*){{3}}$"
LANG_PATTERN = r"^[a-z]{2,3}$"
MAX_PAGE = 1_000_000
MAX_Q_LENGTH = 1000
MAX_FILTER_VALUES = 100
MAX_VALUE_LENGTH = 500

_DATE_RE = re.compile(DATE_PATTERN)
_NUMBER_RE = re.compile(NUMBER)
_LANG_RE = re.compile(LANG_PATTERN)


def query_limit(field: str, bound: str) -> int:
    """A numeric bound declared on the `Query` model (e.g. size <= 100), so the API never
    accepts a value the model would then reject with a less helpful message."""
    for item in Query.model_fields[field].metadata:
        value = getattr(item, bound, None)
        if value is not None:
            return int(value)
    raise LookupError(f"Query.{field} declares no {bound}")


def valid_params() -> list[str]:
    return [*SCALAR_PARAMS, *RANGE_PARAMS, *FACETS, *FILTER_ONLY]


def parse_sort(raw: str) -> tuple[str, list[Sort]]:
    """`sort`: one of SORT_KEYS (the simple orders), else a comma-separated list of sort
    fields, each optionally prefixed by '-' for descending (`-modified,title`)."""
    value = raw.strip()
    if value in SORT_KEYS:
        return value, []
    keys: list[Sort] = []
    for part in (p.strip() for p in value.split(",")):
        field = part.removeprefix("-")
        if field not in SORT_FIELDS:
            raise BadQuery(
                f"sort must be one of {', '.join(SORT_KEYS)} or a comma-separated list of "
                f"{', '.join(SORT_FIELDS)} (each optionally '-' for descending); got {part!r}"
            )
        keys.append(Sort(field=field, direction="desc" if part.startswith("-") else "asc"))
    if len(keys) > query_limit("sort_by", "max_length"):
        raise BadQuery(f"sort names {len(keys)} keys; at most 8")
    return "relevance", keys


def parse_ranges(args: Mapping[str, Sequence[str]]) -> list[Range]:
    """Range filters from `<date field>_from` / `_to` (RANGE_PARAMS), one per field."""
    ranges: list[Range] = []
    for field in DATE_FIELDS:
        raw_from, raw_to = _one(args, f"{field}_from"), _one(args, f"{field}_to")
        if field == "date" or (raw_from is None and raw_to is None):
            continue
        gte = parse_date(f"{field}_from", raw_from, end=False) if raw_from else None
        lte = parse_date(f"{field}_to", raw_to, end=True) if raw_to else None
        if gte and lte and gte > lte:
            raise BadQuery(
                f"{field}_from ({raw_from}) must not be later than {field}_to ({raw_to})"
            )
        ranges.append(Range(field=field, gte=gte, lte=lte))
    return ranges


def _one(args: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = [v for v in args.get(name, []) if v != ""]
    if len(values) > 1:
        raise BadQuery(f"parameter {name!r} given {len(values)} times; give it once")
    return values[0] if values else None


def _int(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadQuery(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise BadQuery(f"{name} must be between {low} and {high}, got {value}")
    return value


def parse_boxes(raw: str) -> list[BBox]:
    """`minx,miny,maxx,maxy` as one box, or as two when it crosses the antimeridian
    (minx > maxx, as GeoJSON and OGC APIs allow: `170,-10,-170,10` is [170..180] and
    [-180..-170]), so a Pacific search is run rather than refused."""
    parts = raw.split(",")
    if len(parts) == 4:
        try:
            west, east = float(parts[0]), float(parts[2])
        except ValueError:
            west = east = 0.0  # parse_bbox says what is wrong
        if math.isfinite(west) and math.isfinite(east) and west > east:
            eastern = parse_bbox(",".join([parts[0], parts[1], "180", parts[3]]))
            western = parse_bbox(",".join(["-180", parts[1], parts[2], parts[3]]))
            return [eastern, western]
    return [parse_bbox(raw)]


def parse_bbox(raw: str) -> BBox:
    """`minx,miny,maxx,maxy` in WGS84 degrees, west <= east and south <= north."""
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != 4:
        raise BadQuery(
            f"bbox must be 4 comma-separated numbers minx,miny,maxx,maxy; got {len(parts)} "
            f"value(s) in {raw!r}"
        )
    numbers: list[float] = []
    for name, part in zip(("minx", "miny", "maxx", "maxy"), parts, strict=True):
        if not _NUMBER_RE.fullmatch(part):
            raise BadQuery(f"bbox {name} must be a decimal number, got {part!r}")
        number = float(part)
        if not math.isfinite(number):  # huge digit strings overflow to inf
            raise BadQuery(f"bbox {name} must be a finite number, got {part[:30]!r}")
        numbers.append(number)
    minx, miny, maxx, maxy = numbers
    for name, value, limit in (
        ("minx", minx, 180),
        ("maxx", maxx, 180),
        ("miny", miny, 90),
        ("maxy", maxy, 90),
    ):
        if not -limit <= value <= limit:
            raise BadQuery(
                f"bbox {name} must be between -{limit} and {limit} (WGS84 degrees), got {value:g}"
            )
    if minx > maxx:
        raise BadQuery(f"bbox minx ({minx:g}) must not be greater than maxx ({maxx:g})")
    if miny > maxy:
        raise BadQuery(f"bbox miny ({miny:g}) must not be greater than maxy ({maxy:g})")
    return BBox(west=minx, south=miny, east=maxx, north=maxy)


def parse_date(name: str, raw: str, *, end: bool) -> date:
    """`YYYY` or `YYYY-MM-DD`. A bare year means its first day for `from` and its last day
    for `to`, so `from=2020&to=2020` covers the whole year."""
    value = raw.strip()
    if not _DATE_RE.match(value):
        raise BadQuery(f"{name} must be a date as YYYY or YYYY-MM-DD, got {raw!r}")
    try:
        if len(value) == 4:
            year = int(value)
            return date(year, 12, 31) if end else date(year, 1, 1)
        return date.fromisoformat(value)
    except ValueError:
        raise BadQuery(f"{name} is not a real date: {raw!r}") from None


def _filters(args: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    total = 0
    for facet in (*FACETS, *FILTER_ONLY):
        values: list[str] = []
        for value in args.get(facet, []):
            value = value.strip()
            if not value or value in values:
                continue
            if len(value) > MAX_VALUE_LENGTH:
                raise BadQuery(f"{facet} value is longer than {MAX_VALUE_LENGTH} characters")
            if facet == "year" and not (value.isdigit() and len(value) == 4):
                raise BadQuery(f"year must be a four-digit year, got {value!r}")
            value = canonical_value(facet, value)  # GPKG finds what the facet shows GeoPackage
            if value not in values:
                values.append(value)
        total += len(values)
        if values:
            filters[facet] = values
    if total > MAX_FILTER_VALUES:
        raise BadQuery(f"too many filter values ({total}); at most {MAX_FILTER_VALUES}")
    return filters


def parse_search_args(args: Mapping[str, Sequence[str]], settings: Settings) -> Query:
    """Validate a multi-valued query string (name -> values) into a `Query`.

    Raises BadQuery naming the parameter and what is wrong with it. `settings.api.max_page_size`
    caps `size` (and so does the Query model, whichever is lower).
    """
    unknown = sorted(set(args) - set(valid_params()))
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        raise BadQuery(
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {names}; "
            f"valid parameters: {', '.join(valid_params())}"
        )
    q = (_one(args, "q") or "").strip()
    if len(q) > MAX_Q_LENGTH:
        raise BadQuery(f"q is longer than {MAX_Q_LENGTH} characters; shorten the search terms")
    max_size = min(settings.api.max_page_size, query_limit("size", "le"))
    page = _int("page", _one(args, "page"), 1, 1, MAX_PAGE)
    size = _int("size", _one(args, "size"), min(20, max_size), 0, max_size)
    facet_size = _int(
        "facet_size",
        _one(args, "facet_size"),
        10,
        query_limit("facet_size", "ge"),
        query_limit("facet_size", "le"),
    )
    sort, sort_by = parse_sort(_one(args, "sort") or "relevance")
    raw_start = _one(args, "start")
    start = _int("start", raw_start, 0, 0, MAX_PAGE * 100) if raw_start is not None else None
    lang = _one(args, "lang")
    if lang is not None and not _LANG_RE.match(lang):
        raise BadQuery(f"lang must be a 2 or 3 letter lower-case ISO 639 code, got {lang!r}")
    raw_bbox = _one(args, "bbox")
    raw_from = _one(args, "from")
    raw_to = _one(args, "to")
    date_from = parse_date("from", raw_from, end=False) if raw_from else None
    date_to = parse_date("to", raw_to, end=True) if raw_to else None
    if date_from and date_to and date_from > date_to:
        raise BadQuery(f"from ({raw_from}) must not be later than to ({raw_to})")
    boxes = parse_boxes(raw_bbox) if raw_bbox else []
    # Across the antimeridian: either box, as a tree (Query.bbox holds one box).
    across = Or(children=tuple(Spatial(bbox=b) for b in boxes)) if len(boxes) == 2 else None
    raw_collapse = (_one(args, "collapse") or "true").strip().lower()
    if raw_collapse not in BOOLEANS:
        raise BadQuery(f"collapse must be true or false, got {raw_collapse[:30]!r}")
    try:
        return Query(
            q=q,
            filters=_filters(args),
            bbox=boxes[0] if len(boxes) == 1 else None,
            where=across,
            date_from=date_from,
            date_to=date_to,
            page=page,
            start=start,
            size=size,
            sort_by=sort_by,
            ranges=parse_ranges(args),
            sort=sort,  # type: ignore[arg-type]  # checked against SORT_KEYS above
            lang=lang,
            facet_size=facet_size,
            collapse=BOOLEANS[raw_collapse],
        )
    except ValidationError as exc:  # a rule above missed something the model enforces
        logger.warning("Query model refused parsed arguments: %s", exc)
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadQuery(f"invalid {where}: {first['msg']}") from None


def check_capabilities(query: Query, capabilities: frozenset[str]) -> None:
    """Refuse, with a clear 400, query features the configured backend does not support,
    rather than silently ignoring them and returning misleading results. Looks inside the
    query trees a protocol built (moisson.query), not only at the API's shorthands."""
    nodes = [n for tree in (query.text, query.where) if tree is not None for n in walk(tree)]
    needed = {
        "fulltext": bool(query.q) or any(isinstance(n, TextLeaf) for n in nodes),
        "bbox": query.bbox is not None or any(isinstance(n, Spatial) for n in nodes),
        "daterange": query.date_from is not None
        or query.date_to is not None
        or bool(query.ranges)
        or any(isinstance(n, Range) for n in nodes),
        "advanced": query.advanced,
    }
    missing = [name for name, used in needed.items() if used and name not in capabilities]
    if missing:
        raise BadQuery(
            f"this search index does not support {', '.join(missing)} queries; "
            "remove that part of the query"
        )
