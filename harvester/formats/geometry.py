"""WGS84 boxes from the geometry literals open-data catalogues publish: GeoJSON (objects or
text), WKT (with an optional `<crs-uri>` prefix), GML envelopes and geometries, and the
'west,south,east,north' strings of CKAN and DCAT-US.

Every function returns a list of valid `BBox` (possibly empty), never raises: one odd
geometry must not cost a record. Boxes go through extents.clean_bbox, so the usual repairs
(axis swaps, 0..360, antimeridian) apply the same way as for ISO records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from harvester.formats.extents import clean_bbox, clean_bboxes, to_number
from moisson.record import BBox

__all__ = ["bbox_from_geojson", "bbox_from_literal", "bbox_from_text_box"]

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_WKT_CRS = re.compile(r"^\s*<([^>]*)>\s*")
_SRS_NAME = re.compile(r"srsName\s*=\s*[\"']([^\"']*)[\"']")
_POS = re.compile(r"<(?:\w+:)?(?:pos|posList|coordinates|lowerCorner|upperCorner)\b[^>]*>([^<]*)<")
_TEXT_BOX = re.compile(r"^\s*(" + _NUMBER.pattern + r")(\s*,\s*(" + _NUMBER.pattern + r")){3}\s*$")


def _box_of_points(points: Iterable[tuple[float, float]]) -> list[BBox]:
    xs: list[float] = []
    ys: list[float] = []
    for x, y in points:
        xs.append(x)
        ys.append(y)
    if not xs:
        return []
    return clean_bbox(min(xs), min(ys), max(xs), max(ys))


def _geojson_points(coordinates: Any) -> Iterator[tuple[float, float]]:
    if isinstance(coordinates, (list, tuple)):
        if len(coordinates) >= 2 and all(isinstance(v, (int, float)) for v in coordinates[:2]):
            yield float(coordinates[0]), float(coordinates[1])
        else:
            for part in coordinates:
                yield from _geojson_points(part)


def bbox_from_geojson(value: Any) -> list[BBox]:
    """A GeoJSON geometry, Feature or FeatureCollection (dict or JSON text); a `bbox`
    member wins over the coordinates."""
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if not isinstance(value, dict):
        return []
    box = value.get("bbox")
    if isinstance(box, list) and len(box) in (4, 6):
        half = len(box) // 2
        return clean_bbox(box[0], box[1], box[half], box[half + 1])
    kind = value.get("type")
    if kind == "Feature":
        return bbox_from_geojson(value.get("geometry"))
    if kind == "FeatureCollection":
        return clean_bboxes(
            b for feature in value.get("features") or [] for b in bbox_from_geojson(feature)
        )
    if kind == "GeometryCollection":
        return clean_bboxes(
            b for geometry in value.get("geometries") or [] for b in bbox_from_geojson(geometry)
        )
    return _box_of_points(_geojson_points(value.get("coordinates")))


def _pairs(numbers: list[float], lat_first: bool) -> Iterator[tuple[float, float]]:
    for i in range(0, len(numbers) - 1, 2):
        a, b = numbers[i], numbers[i + 1]
        yield (b, a) if lat_first else (a, b)


def _lat_first(crs: str | None) -> bool:
    """EPSG:4326 named by URI or URN is latitude first; CRS84 and bare 'EPSG:4326' (the GML 2
    habit) are read longitude first."""
    if not crs:
        return False
    crs = crs.lower()
    return "4326" in crs and ("/epsg/" in crs or "urn:ogc:def:crs:epsg" in crs)


def _bbox_from_wkt(text: str) -> list[BBox]:
    crs = None
    found = _WKT_CRS.match(text)
    if found:
        crs = found.group(1)
        text = text[found.end() :]
    upper = text.strip().upper()
    if upper.startswith("ENVELOPE"):  # ENVELOPE(minX, maxX, maxY, minY) (Solr/CQL)
        numbers = [float(n) for n in _NUMBER.findall(text)]
        if len(numbers) == 4:
            return clean_bbox(numbers[0], numbers[3], numbers[1], numbers[2])
        return []
    dims = 3 if re.match(r"^\w+\s+(Z|M)\b", upper) else 4 if " ZM" in upper[:30] else 2
    numbers = [float(n) for n in _NUMBER.findall(text)]
    if dims > 2:
        numbers = [v for i, v in enumerate(numbers) if i % dims < 2]
    return _box_of_points(_pairs(numbers, _lat_first(crs)))


def _bbox_from_gml(text: str) -> list[BBox]:
    srs = _SRS_NAME.search(text)
    lat_first = _lat_first(srs.group(1) if srs else None)
    numbers: list[float] = []
    for chunk in _POS.findall(text):
        numbers.extend(float(n) for n in _NUMBER.findall(chunk.replace(",", " ")))
    return _box_of_points(_pairs(numbers, lat_first))


def bbox_from_text_box(text: str) -> list[BBox]:
    """'west,south,east,north' (CKAN spatial_bbox-like and DCAT-US `spatial` strings)."""
    if not _TEXT_BOX.match(text):
        return []
    w, s, e, n = (to_number(v) for v in text.split(","))
    return clean_bbox(w, s, e, n)


def bbox_from_literal(text: str, datatype: str | None = None) -> list[BBox]:
    """A geometry literal of any of the encodings GeoDCAT-AP allows, recognised from its
    datatype when given and else from its first characters."""
    text = text.strip()
    if not text:
        return []
    kind = (datatype or "").lower()
    if "json" in kind or text.startswith("{"):
        return bbox_from_geojson(text)
    if "gml" in kind or text.startswith("<gml") or (text.startswith("<") and "Corner" in text):
        return _bbox_from_gml(text)
    if _TEXT_BOX.match(text):
        return bbox_from_text_box(text)
    return _bbox_from_wkt(text)
