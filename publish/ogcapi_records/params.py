"""The query string of `/collections/{id}/items` -> a validated search.

Every refusal is a BadQuery (400) naming the parameter, rendered as an OGC API exception.
Rules (OGC API - Features/Records Part 1 unless said otherwise):

- `limit`: 1..max (default and maximum from the protocol's settings); a larger value is
  capped to the maximum (Features /req/core/fc-limit-response-1), 0 or less is a 400;
- `offset` (or `startindex`, which pygeoapi-based clients send): 0 or more;
- `bbox`: 4 or 6 numbers, WGS84, west <= east (a box crossing the antimeridian is refused:
  send it as two requests) and south <= north;
- `datetime`: an instant or an interval `a/b` with `..` or empty for an open end (not both);
  it filters on the record's reference date (revision, else publication, else creation);
- `type`, `ids`, `externalIds` (resource identifier codes), `q`, `sortby` (comma-separated
  sortables, `+` or no sign ascending, `-` descending: `-updated,title`), `filter` +
  `filter-lang=cql2-text`, `facets=true|false`, `f=json|html`; the Moisson facets
  (`keyword`, `theme`...) are accepted as filters too, as in /api/search;
- Unknown parameters are refused (a typo must not silently widen the search).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from indexer.backends.base import FACETS
from moisson.errors import BadQuery
from moisson.query import Node
from moisson.record import BBox
from publish.ogcapi_records.cql2 import parse_cql2

__all__ = ["ItemsRequest", "parse_items_args"]

MAX_Q = 1000
MAX_OFFSET = 1_000_000
MAX_IDS = 100
FORMATS = ("json", "html")
# Sortable property -> the neutral query's sort field.
SORTABLES = {
    "title": "title",
    "updated": "modified",
    "created": "created",
    "published": "published",
    "date": "date",
    "type": "resource_type",
    "id": "id",
}
PARAMS = (
    "q",
    "bbox",
    "bbox-crs",
    "datetime",
    "type",
    "ids",
    "externalIds",
    "limit",
    "offset",
    "startindex",
    "sortby",
    "filter",
    "filter-lang",
    "facets",
    "f",
    "lang",
)
_NUMBER = re.compile(r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$")
_CRS84 = ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "")


@dataclass
class ItemsRequest:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    bbox: BBox | None = None
    date_from: date | None = None
    date_to: date | None = None
    ids: list[str] = field(default_factory=list)
    external_ids: list[str] = field(default_factory=list)
    sort_by: list[tuple[str, str]] = field(default_factory=list)  # (sort field, direction)
    where: Node | None = None  # the CQL2 filter
    limit: int = 10
    offset: int = 0
    sort: str = "relevance"
    facets: bool = False
    format: str = "json"
    lang: str | None = None


def _one(args: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = [v for v in args.get(name, []) if v != ""]
    if len(values) > 1:
        raise BadQuery(f"parameter {name!r} given {len(values)} times; give it once")
    return values[0] if values else None


def _int(name: str, raw: str, low: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadQuery(f"{name} must be a whole number, got {raw[:30]!r}") from None
    if value < low:
        raise BadQuery(f"{name} must be {low} or more, got {value}")
    return value


def parse_bbox(raw: str) -> BBox:
    parts = raw.split(",")
    if len(parts) not in (4, 6):
        raise BadQuery(f"bbox must be 4 (or 6) comma-separated numbers, got {len(parts)}")
    if not all(_NUMBER.match(p) for p in parts):
        raise BadQuery("bbox values must be decimal numbers")
    numbers = [float(p) for p in parts]
    if not all(math.isfinite(n) for n in numbers):
        raise BadQuery("bbox values must be finite numbers")
    half = len(numbers) // 2
    west, south, east, north = numbers[0], numbers[1], numbers[half], numbers[half + 1]
    if not (
        -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90
    ):
        raise BadQuery("bbox must be within -180..180 longitude and -90..90 latitude (CRS84)")
    if west > east:
        raise BadQuery(
            "bbox crosses the antimeridian (west > east): this catalogue does not search such "
            "boxes yet; send two requests, one each side of 180°"
        )
    if south > north:
        raise BadQuery("bbox south must not be greater than north")
    return BBox(west=west, south=south, east=east, north=north)


def _instant(text: str, *, end: bool) -> date | None:
    text = text.strip()
    if text in ("", ".."):
        return None
    try:
        if len(text) == 4 and text.isdigit():
            return date(int(text), 12, 31) if end else date(int(text), 1, 1)
        return date.fromisoformat(text[:10])
    except ValueError:
        raise BadQuery(f"datetime: {text[:40]!r} is not an RFC 3339 date or date-time") from None


def parse_datetime(raw: str) -> tuple[date | None, date | None]:
    if "/" in raw:
        start_text, _, end_text = raw.partition("/")
        start, end = _instant(start_text, end=False), _instant(end_text, end=True)
        if start is None and end is None:
            raise BadQuery("datetime: an interval needs at least one bounded end, not '../..'")
        if start and end and start > end:
            raise BadQuery("datetime: the interval's start is after its end")
        return start, end
    instant = _instant(raw, end=False)
    if instant is None:
        raise BadQuery("datetime: give an instant or an interval start/end")
    return instant, instant


def parse_items_args(
    args: Mapping[str, Sequence[str]], *, default_limit: int, max_limit: int
) -> ItemsRequest:
    """Validate the items query string (see the module docstring)."""
    unknown = sorted(set(args) - set(PARAMS) - set(FACETS))
    if unknown:
        raise BadQuery(
            f"unknown parameter {unknown[0]!r}; items parameters: {', '.join(PARAMS)}, "
            f"and the facets {', '.join(FACETS)}"
        )
    out = ItemsRequest(limit=default_limit)
    fmt = (_one(args, "f") or "json").lower()
    if fmt not in FORMATS:
        raise BadQuery(f"f must be one of {', '.join(FORMATS)}; got {fmt[:30]!r}")
    out.format = fmt
    out.q = (_one(args, "q") or "").strip()
    if len(out.q) > MAX_Q:
        raise BadQuery(f"q is longer than {MAX_Q} characters")
    raw_limit = _one(args, "limit")
    if raw_limit is not None:
        out.limit = min(_int("limit", raw_limit, 1), max_limit)
    offset = _one(args, "offset")
    startindex = _one(args, "startindex")
    if offset is not None and startindex is not None:
        raise BadQuery("give offset or startindex, not both")
    raw_offset = offset if offset is not None else startindex
    if raw_offset is not None:
        out.offset = _int("offset" if offset is not None else "startindex", raw_offset, 0)
        if out.offset > MAX_OFFSET:
            raise BadQuery(f"offset must be at most {MAX_OFFSET}; narrow the search instead")
    crs = _one(args, "bbox-crs")
    if crs is not None and crs not in _CRS84:
        raise BadQuery(f"bbox-crs must be {_CRS84[0]} (the only CRS served)")
    raw_bbox = _one(args, "bbox")
    if raw_bbox is not None:
        out.bbox = parse_bbox(raw_bbox)
    raw_datetime = _one(args, "datetime")
    if raw_datetime is not None:
        out.date_from, out.date_to = parse_datetime(raw_datetime)
    for facet in FACETS:
        values = [v.strip() for v in args.get(facet, []) if v.strip()]
        if values:
            out.filters[facet] = list(dict.fromkeys(values))[:100]
    raw_type = _one(args, "type")
    if raw_type is not None:
        out.filters["resource_type"] = [t.strip() for t in raw_type.split(",") if t.strip()]
    raw_ids = _one(args, "ids")
    if raw_ids is not None:
        out.ids = list(dict.fromkeys(i.strip() for i in raw_ids.split(",") if i.strip()))
        if len(out.ids) > MAX_IDS:
            raise BadQuery(f"ids: at most {MAX_IDS} identifiers per request")
    raw_external = _one(args, "externalIds")
    if raw_external is not None:
        out.external_ids = list(
            dict.fromkeys(i.strip() for i in raw_external.split(",") if i.strip())
        )
        if len(out.external_ids) > MAX_IDS:
            raise BadQuery(f"externalIds: at most {MAX_IDS} identifiers per request")
    sortby = _one(args, "sortby")
    if sortby is not None:
        out.sort_by = _sortby(sortby)
    _filter(args, out)
    facets = (_one(args, "facets") or "false").lower()
    if facets not in ("true", "false"):
        raise BadQuery("facets must be true or false")
    out.facets = facets == "true"
    lang = _one(args, "lang")
    if lang is not None and not re.fullmatch(r"[a-z]{2,3}", lang):
        raise BadQuery("lang must be a 2 or 3 letter lower-case ISO 639 code")
    out.lang = lang
    return out


def _sortby(raw: str) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    for part in raw.split(","):
        # A '+' in a query string arrives as a space when the client did not escape it.
        key = part.strip()
        direction = "desc" if key.startswith("-") else "asc"
        name = key.lstrip("+- ")
        if name not in SORTABLES:
            raise BadQuery(
                f"sortby: {name[:40]!r} is not sortable; sortables: {', '.join(SORTABLES)} "
                "(prefix - for descending)"
            )
        keys.append((SORTABLES[name], direction))
    if len(keys) > 8:
        raise BadQuery("sortby: at most 8 keys")
    return keys


def _filter(args: Mapping[str, Sequence[str]], out: ItemsRequest) -> None:
    raw = _one(args, "filter")
    lang = (_one(args, "filter-lang") or "cql2-text").lower()
    if lang != "cql2-text":
        raise BadQuery(f"filter-lang must be cql2-text; got {lang[:30]!r}")
    if raw is not None:
        out.where = parse_cql2(raw)
