"""Comparisons on queryables, as nodes of the neutral query (moisson/query.py).

Shared by the Filter Encoding 1.1 reader (fes.py) and the CQL reader (cql.py), so both
languages mean the same thing. What each comparison becomes:

| comparison | text queryable | keyword | date |
|---|---|---|---|
| `=` | Phrase of the value | FieldFilter | Range [d, d] |
| `<>` | Not(Phrase) | Not(FieldFilter) | Not(Range) |
| `<`, `<=`, `>`, `>=` | refused | refused | Range (day precision: `> d` is `>= d+1`) |
| LIKE | words: `%abc%`, `abc%` Prefix; `abc` Phrase | `abc%` prefix; `abc` exact | refused |
| BETWEEN | refused | refused | Range |
| IS NULL | refused | Not(Exists) | Not(Exists) |

A LIKE pattern is split at its wildcards; each literal piece followed by a wildcard is a
prefix, the others phrases, all ANDed: `%dolor sit%` finds 'dolor sit amet'. A wildcard
inside a word matches across it as if it split two words. A pattern of wildcards only
matches everything (None: no condition). Refusals are InvalidParameterValue at `locator`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from pydantic import ValidationError

from moisson.query import (
    And,
    BBox,
    Exists,
    FieldFilter,
    Node,
    Not,
    Phrase,
    Prefix,
    Range,
    Spatial,
)
from publish.csw.errors import CswError
from publish.csw.queryables import Queryable

__all__ = ["bbox_node", "between", "compare", "is_null", "like", "parse_date"]

_OPS = ("=", "<>", "<", "<=", ">", ">=")
_WORD = re.compile(r"\w", re.UNICODE)


def _refuse(message: str, locator: str) -> CswError:
    return CswError("InvalidParameterValue", message, locator)


def refused(exc: ValidationError, locator: str) -> CswError:
    """A neutral-query limit (value length, list size...) hit while building a node, as the
    client's error rather than a server fault."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return _refuse(f"{exc.title} {where}: {first.get('msg', 'invalid value')}", locator)


def parse_date(value: str, locator: str) -> date:
    """A date or dateTime literal (ISO 8601) as its day; InvalidParameterValue otherwise."""
    text = value.strip()
    try:
        if len(text) > 10:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        if len(text) == 4 and text.isdigit():
            return date(int(text), 1, 1)
        if len(text) == 7:
            return date.fromisoformat(text + "-01")
        return date.fromisoformat(text)
    except ValueError:
        raise _refuse(f"{value[:60]!r} is not an ISO 8601 date", locator) from None


# DCMI types (and ISO scope codes) -> the ISO MD_ScopeCode the index holds, as the Dublin
# Core reader maps them (harvester/formats/dublin_core.py).
_TYPES = {
    "dataset": "dataset", "service": "service", "series": "series", "collection": "series",
    "text": "document", "document": "document", "software": "software",
    "nongeographicdataset": "nonGeographicDataset", "application": "application",
    "featuretype": "featureType", "model": "model", "tile": "tile",
}  # fmt: skip


def keyword_value(field: str, value: str) -> str:
    """The indexed form of a compared value: resource types given as DCMI type URIs or
    names ('http://purl.org/dc/dcmitype/Dataset', 'Text') become ISO scope codes."""
    if field != "resource_type":
        return value
    name = value.strip().rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return _TYPES.get(name.lower(), value)


def _text(queryable: Queryable, text: str, prefix: bool) -> Node | None:
    if not _WORD.search(text):
        return None
    node_type = Prefix if prefix else Phrase
    return node_type(text=text.strip(), fields=queryable.text_fields)  # type: ignore[arg-type]


def _date_range(field: str, op: str, day: date) -> Node:
    if op == "=":
        return Range(field=field, gte=day, lte=day)  # type: ignore[arg-type]
    if op == "<>":
        return Not(child=Range(field=field, gte=day, lte=day))  # type: ignore[arg-type]
    if op == "<":
        return Range(field=field, lte=day - timedelta(days=1))  # type: ignore[arg-type]
    if op == "<=":
        return Range(field=field, lte=day)  # type: ignore[arg-type]
    if op == ">":
        return Range(field=field, gte=day + timedelta(days=1))  # type: ignore[arg-type]
    return Range(field=field, gte=day)  # type: ignore[arg-type]


def compare(queryable: Queryable, op: str, value: str, locator: str) -> Node | None:
    """`queryable op value` (op one of =, <>, <, <=, >, >=); None means 'every record'."""
    if op not in _OPS:
        raise _refuse(f"unknown comparison {op!r}", locator)
    if queryable.kind == "date":
        return _date_range(queryable.field, op, parse_date(value, locator))
    if queryable.kind == "spatial":
        raise _refuse(f"{queryable.name} can only be compared with BBOX", locator)
    if op not in ("=", "<>"):
        raise _refuse(f"{queryable.name} is not ordered: only =, <> and LIKE apply to it", locator)
    node: Node | None
    if queryable.kind == "text":
        node = _text(queryable, value, prefix=False)
        if node is None:
            raise _refuse(f"{value[:60]!r} holds no word to compare {queryable.name} with", locator)
    else:
        node = FieldFilter(
            field=queryable.field,  # type: ignore[arg-type]
            values=(keyword_value(queryable.field, value),),
        )
    return Not(child=node) if op == "<>" else node


def like(
    queryable: Queryable,
    pattern: str,
    locator: str,
    *,
    wild: str = "%",
    single: str = "_",
    escape: str = "\\",
) -> Node | None:
    """`queryable LIKE pattern` with the given wildcard characters (see the module doc)."""
    if queryable.kind in ("date", "spatial"):
        raise _refuse(f"LIKE does not apply to {queryable.name}", locator)
    pieces: list[tuple[str, bool]] = []  # (literal, followed by a wildcard)
    current: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if escape and char == escape:
            current.append(next(chars, ""))
        elif char in (wild, single) and char:
            pieces.append(("".join(current), True))
            current = []
        else:
            current.append(char)
    pieces.append(("".join(current), False))
    literals = [(text, wildcard) for text, wildcard in pieces if text.strip()]
    if not literals:
        return None  # '%': everything
    if (
        queryable.kind == "keyword"
        and queryable.like_text
        and (len(literals) > 1 or pieces[0][0] == "")
    ):
        queryable = Queryable(queryable.name, "text", text_fields=queryable.like_text)
    if queryable.kind == "keyword":
        if len(literals) > 1 or pieces[0][0] == "":
            raise _refuse(
                f"{queryable.name} is an exact field: LIKE takes 'value' or 'value%' only",
                locator,
            )
        text, wildcard = literals[0]
        return FieldFilter(
            field=queryable.field,
            values=(text,),
            prefix=wildcard,  # type: ignore[arg-type]
        )
    nodes = [n for text, wildcard in literals if (n := _text(queryable, text, wildcard))]
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else And(children=tuple(nodes))


def between(queryable: Queryable, low: str, high: str, locator: str) -> Node:
    if queryable.kind != "date":
        raise _refuse(f"BETWEEN applies to dates only, not {queryable.name}", locator)
    return Range(
        field=queryable.field,  # type: ignore[arg-type]
        gte=parse_date(low, locator),
        lte=parse_date(high, locator),
    )


def is_null(queryable: Queryable, locator: str) -> Node:
    if queryable.kind not in ("keyword", "date"):
        raise _refuse(f"IS NULL does not apply to {queryable.name}", locator)
    return Not(child=Exists(field=queryable.field))  # type: ignore[arg-type]


def bbox_node(
    coords: list[float], crs: str | None, locator: str, *, relation: str = "intersects"
) -> Node:
    """A BBOX condition from (minA, minB, maxA, maxB) in `crs` axis order: EPSG:4326 in any
    spelling (and no CRS at all, the GML default) is latitude first; CRS84 longitude first.
    Other CRSs are refused (no reprojection here)."""
    axis = crs_axis_order(crs, locator)
    if len(coords) != 4:
        raise _refuse("a bounding box needs 4 numbers", locator)
    if axis == "yx":
        south, west, north, east = coords
    else:
        west, south, east, north = coords
    try:
        box = BBox(west=west, south=south, east=east, north=north)
    except ValueError as exc:
        raise _refuse(
            f"bad bounding box {coords} in {crs or 'EPSG:4326'}: {str(exc).splitlines()[-1][:160]}",
            locator,
        ) from None
    return Spatial(bbox=box, relation=relation)  # type: ignore[arg-type]


_CRS84 = re.compile(r"(CRS:?84|OGC:1\.3:CRS84|/def/crs/OGC/1\.3/CRS84)$", re.IGNORECASE)
_EPSG4326 = re.compile(
    r"^(EPSG:4326|urn:(x-)?ogc:def:crs:EPSG:[\d.]*:4326|"
    r"https?://www\.opengis\.net/def/crs/EPSG/0/4326|"
    r"https?://www\.opengis\.net/gml/srs/epsg\.xml#4326)$",
    re.IGNORECASE,
)


def crs_axis_order(crs: str | None, locator: str) -> str:
    """'yx' (latitude first) or 'xy' for a CRS name; InvalidParameterValue for others."""
    if crs is None or not crs.strip():
        return "yx"
    name = crs.strip()
    if _CRS84.search(name):
        return "xy"
    if _EPSG4326.match(name):
        return "yx"
    raise _refuse(
        f"unsupported CRS {name[:100]!r}: use EPSG:4326 (latitude first) or CRS84", locator
    )
