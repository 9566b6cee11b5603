"""OGC Filter Encoding 1.1 (`ogc:Filter`) into the neutral query tree.

Supported, and announced in Filter_Capabilities (capabilities.py reads `COMPARISONS`,
`SPATIAL_OPERATORS` and `GEOMETRY_OPERANDS` from here): And / Or / Not, nested to
moisson.query.MAX_DEPTH; PropertyIsEqualTo, NotEqualTo, LessThan(OrEqualTo),
GreaterThan(OrEqualTo), Like (wildCard / singleChar / escapeChar, FE 1.0's `escape` too),
Between, Null; BBOX with a gml:Envelope (lowerCorner / upperCorner) or a rectangular
gml:Polygon; Intersects and Within with the same operands. What each comparison means is in
conditions.py.

Everything else (Contains, Disjoint, DWithin..., ogc:Function, FeatureId, arithmetic,
non-rectangular polygons, CRSs other than EPSG:4326 / CRS84) is refused with
InvalidParameterValue at locator `constraint`, never ignored: a filter that silently drops
a condition returns records the client did not ask for.
"""

from __future__ import annotations

from lxml import etree
from pydantic import ValidationError

from moisson.query import MAX_DEPTH, And, Node, Not, Or
from publish.csw import conditions
from publish.csw.errors import CswError
from publish.csw.namespaces import NS, q
from publish.csw.queryables import Queryable, lookup

__all__ = ["COMPARISONS", "GEOMETRY_OPERANDS", "SPATIAL_OPERATORS", "filter_node"]

LOCATOR = "constraint"

_COMPARISON_OPS = {
    "PropertyIsEqualTo": "=",
    "PropertyIsNotEqualTo": "<>",
    "PropertyIsLessThan": "<",
    "PropertyIsLessThanOrEqualTo": "<=",
    "PropertyIsGreaterThan": ">",
    "PropertyIsGreaterThanOrEqualTo": ">=",
}
# FE 1.1 ComparisonOperator names (Filter_Capabilities).
COMPARISONS = (
    "EqualTo",
    "NotEqualTo",
    "LessThan",
    "LessThanEqualTo",
    "GreaterThan",
    "GreaterThanEqualTo",
    "Like",
    "Between",
    "NullCheck",
)
SPATIAL_OPERATORS = ("BBOX", "Intersects", "Within")
GEOMETRY_OPERANDS = ("gml:Envelope", "gml:Polygon")

_OGC = NS["ogc"]
_GML = NS["gml"]


def _fail(message: str) -> CswError:
    return CswError("InvalidParameterValue", message, LOCATOR)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str)]


def _property(element: etree._Element) -> Queryable:
    name = element.find(q("ogc:PropertyName"))
    if name is None or not (name.text or "").strip():
        raise _fail(f"ogc:{_local(element)} needs an ogc:PropertyName")
    return lookup(name.text or "", LOCATOR)


def _literal(element: etree._Element, path: str = "ogc:Literal") -> str:
    found = element.find(q(path)) if ":" in path else element.find(path)
    if found is None:
        raise _fail(f"ogc:{_local(element)} needs an ogc:Literal")
    return "".join(found.itertext())


def filter_node(root: etree._Element) -> Node | None:
    """The tree for an `ogc:Filter` element; None when it selects every record."""
    if root.tag != q("ogc:Filter"):
        raise _fail(f"the constraint must be an ogc:Filter, not {root.tag[:100]}")
    children = _children(root)
    if len(children) != 1:
        raise _fail("ogc:Filter holds exactly one operator")
    try:
        return _node(children[0], 1)
    except ValidationError as exc:
        raise conditions.refused(exc, LOCATOR) from None


def _node(element: etree._Element, depth: int) -> Node | None:
    if depth > MAX_DEPTH:
        raise _fail(f"the filter is nested deeper than {MAX_DEPTH} levels")
    if etree.QName(element).namespace != _OGC:
        raise _fail(f"unexpected element {element.tag[:100]} in the filter")
    name = _local(element)
    if name in ("And", "Or"):
        parts = [_node(child, depth + 1) for child in _children(element)]
        if not parts:
            raise _fail(f"ogc:{name} needs operands")
        if name == "And":
            kept = [p for p in parts if p is not None]  # None: 'every record'
            return And(children=tuple(kept)) if kept else None
        if any(p is None for p in parts):
            return None
        return Or(children=tuple(p for p in parts if p is not None))
    if name == "Not":
        inner = _children(element)
        if len(inner) != 1:
            raise _fail("ogc:Not holds exactly one operator")
        child = _node(inner[0], depth + 1)
        if child is None:
            raise _fail("ogc:Not of a condition every record meets selects nothing")
        return Not(child=child)
    if name in _COMPARISON_OPS:
        return conditions.compare(
            _property(element), _COMPARISON_OPS[name], _literal(element), LOCATOR
        )
    if name == "PropertyIsLike":
        return conditions.like(
            _property(element),
            _literal(element),
            LOCATOR,
            wild=element.get("wildCard", "%"),
            single=element.get("singleChar", "_"),
            escape=element.get("escapeChar", element.get("escape", "\\")),
        )
    if name == "PropertyIsBetween":
        low = element.find(q("ogc:LowerBoundary"))
        high = element.find(q("ogc:UpperBoundary"))
        if low is None or high is None:
            raise _fail("ogc:PropertyIsBetween needs LowerBoundary and UpperBoundary")
        return conditions.between(_property(element), _literal(low), _literal(high), LOCATOR)
    if name == "PropertyIsNull":
        return conditions.is_null(_property(element), LOCATOR)
    if name in SPATIAL_OPERATORS:
        return _spatial(element, name)
    raise _fail(f"ogc:{name} is not supported; see Filter_Capabilities")


def _spatial(element: etree._Element, name: str) -> Node:
    names = element.findall(q("ogc:PropertyName"))
    if names:
        queryable = lookup(names[0].text or "", LOCATOR)
        if queryable.kind != "spatial":
            raise _fail(f"ogc:{name} applies to ows:BoundingBox, not {queryable.name}")
    geometries = [c for c in _children(element) if etree.QName(c).namespace == _GML]
    if len(geometries) != 1:
        raise _fail(f"ogc:{name} needs one gml:Envelope or gml:Polygon")
    geometry = geometries[0]
    crs = geometry.get("srsName")
    kind = _local(geometry)
    if kind == "Envelope":
        coords = _numbers(geometry, "lowerCorner", 2) + _numbers(geometry, "upperCorner", 2)
    elif kind == "Polygon":
        coords = _rectangle(geometry, crs)
    else:
        raise _fail(f"gml:{kind} is not supported; use gml:Envelope or gml:Polygon")
    relation = "within" if name == "Within" else "intersects"
    return conditions.bbox_node(coords, crs, LOCATOR, relation=relation)


def _numbers(geometry: etree._Element, child: str, count: int | None) -> list[float]:
    found = geometry.find(f"{{{_GML}}}{child}")
    text = (found.text or "") if found is not None else ""
    try:
        values = [float(x) for x in text.split()]
    except ValueError:
        raise _fail(f"gml:{child} must hold numbers, got {text[:60]!r}") from None
    if count is not None and len(values) != count:
        raise _fail(f"gml:{child} needs {count} numbers, got {len(values)}")
    return values


def _rectangle(polygon: etree._Element, crs: str | None) -> list[float]:
    """(minA, minB, maxA, maxB) of a polygon that is an axis-aligned rectangle."""
    ring = polygon.find(f"{{{_GML}}}exterior/{{{_GML}}}LinearRing")
    if ring is None:
        raise _fail("gml:Polygon needs gml:exterior/gml:LinearRing")
    values = _numbers(ring, "posList", None)
    if len(values) < 8 or len(values) % 2:
        raise _fail("invalid number of coordinates in gml:posList")
    points = set(zip(values[0::2], values[1::2], strict=True))
    first = sorted({a for a, _ in points})
    second = sorted({b for _, b in points})
    if len(first) != 2 or len(second) != 2 or len(points) != 4:
        raise _fail("only rectangular polygons (bounding boxes) are supported")
    return [first[0], second[0], first[1], second[1]]
