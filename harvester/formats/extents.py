"""Turn the bounding boxes catalogues actually publish into valid WGS84 `BBox`es.

Harvested boxes are often wrong in a handful of recurring ways; a box that is silently wrong
puts a dataset on the wrong continent in map search, so each case is either repaired when the
intent is unambiguous or dropped when it is not. Every rule is in `clean_bbox`'s docstring.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

from harvester.formats.trusted_record import trusted_model
from moisson.record import BBox

__all__ = ["clean_bbox", "clean_bboxes", "to_number"]

logger = logging.getLogger(__name__)

# Overshoot still treated as a rounding or pixel-edge artefact (global rasters described at
# cell edges give 180.5), clamped rather than rejected.
CLAMP_TOLERANCE = 1.0

# West minus east below this is a west/east swap, above it an antimeridian crossing (the
# crossing box would span more than 270 degrees of longitude otherwise).
SWAPPED_LONGITUDE_GAP = 90.0

Number = float | int | str | None


def to_number(value: Number) -> float | None:
    """A float from what XML gives (text with a decimal comma, blanks), None when unusable."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = value.strip().replace(",", ".")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def clean_bbox(west: Number, south: Number, east: Number, north: Number) -> list[BBox]:
    """Zero, one or two valid boxes for what a record declares (applied in this order).

    1. A missing, unparsable, NaN or infinite value gives []: half a box is no box, and a
       guess would be worse than no spatial footprint.
    2. (0, 0, 0, 0) gives []: editors' placeholder for "not filled in"; indexing it would put
       the dataset in the Gulf of Guinea.
    3. Longitudes within +/-90 but a latitude beyond +/-90 (and within +/-180): the axes were
       written lat/lon (EPSG:4326 axis order confusion), so swap them back.
    4. Longitudes in 0..360 (ocean and climate data convention, e.g. 200..250) are shifted to
       -180..180; a span of a full turn or more becomes the world.
    5. Overshoot up to CLAMP_TOLERANCE degrees (180.0000001, 90.5) is clamped: rounding or
       pixel-edge artefacts of a box that is meant to touch the edge.
    6. Anything further out is rejected: those are projected coordinates (600000, 6700000 in
       Lambert 93) labelled as degrees, and reprojecting without the CRS would be a guess.
    7. South above north is swapped: the extent is clear, only the order is wrong.
    8. West above east by less than SWAPPED_LONGITUDE_GAP degrees is west/east written the
       wrong way round (Somme, France: west 3.28, east 1.31): read the long way round it
       would cover more than three quarters of the globe, which no regional record means.
    9. Any other west above east crosses the antimeridian (Fiji: 177..-178): split it into
       [west, 180] and [-180, east]. Never widen it to the world, which would match every
       map search.
    """
    # Plain statements, no generators: this runs once per box of every harvested record.
    w, s, e, n = to_number(west), to_number(south), to_number(east), to_number(north)
    if w is None or s is None or e is None or n is None:
        return []
    if w == s == e == n == 0:
        return []
    lon, lat = max(abs(w), abs(e)), max(abs(s), abs(n))
    if lon <= 90 < lat and lat <= 180:
        w, s, e, n = s, w, n, e
    low, high = (w, e) if w <= e else (e, w)
    if low >= 0 and high > 180 + CLAMP_TOLERANCE and high <= 360:
        if e - w >= 360 - CLAMP_TOLERANCE:
            w, e = -180.0, 180.0
        else:
            w, e = (w - 360 if w > 180 else w), (e - 360 if e > 180 else e)
    if max(abs(w), abs(e)) > 180 + CLAMP_TOLERANCE or max(abs(s), abs(n)) > 90 + CLAMP_TOLERANCE:
        logger.debug("bbox rejected as not degrees: %s %s %s %s", w, s, e, n)
        return []
    w = -180.0 if w < -180.0 else 180.0 if w > 180.0 else w
    e = -180.0 if e < -180.0 else 180.0 if e > 180.0 else e
    s = -90.0 if s < -90.0 else 90.0 if s > 90.0 else s
    n = -90.0 if n < -90.0 else 90.0 if n > 90.0 else n
    if s > n:
        s, n = n, s
    if w > e and w - e < SWAPPED_LONGITUDE_GAP:
        w, e = e, w
    if w > e:
        return [_box(w, s, 180.0, n), _box(-180.0, s, e, n)]
    return [_box(w, s, e, n)]


def _box(west: float, south: float, east: float, north: float) -> BBox:
    """A BBox of values `clean_bbox` has already clamped and ordered, built without running
    the model's validators again (they would check exactly that, at ~1.4 us a box)."""
    return trusted_model(BBox, {"west": west, "south": south, "east": east, "north": north})


def clean_bboxes(boxes: Iterable[BBox]) -> list[BBox]:
    """Boxes without repeats, first occurrence kept: records often repeat the same extent in
    several identification sections, and duplicates only weigh down the index."""
    seen: set[tuple[float, float, float, float]] = set()
    unique: list[BBox] = []
    for box in boxes:
        key = (box.west, box.south, box.east, box.north)
        if key not in seen:
            seen.add(key)
            unique.append(box)
    return unique
