"""What QGIS needs to add one WMTS layer, read from the service's capabilities.

A WMTS layer cannot be added from its name alone: QGIS's data source names a tile matrix
set, an image format and a style, which only the service's GetCapabilities document tells.
Pure Python over the XML (stdlib ElementTree; no entity expansion, so a hostile document
cannot blow up), so it runs in a background task and is testable anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree

__all__ = ["Tiling", "WmtsError", "choose_tiling"]

_OWS = "{http://www.opengis.net/ows/1.1}"
_WMTS = "{http://www.opengis.net/wmts/1.0}"
_EPSG = re.compile(r"EPSG(?::[\d.]*)?:+(\d+)$", re.IGNORECASE)


class WmtsError(ValueError):
    """The capabilities do not offer the layer, or are not a WMTS capabilities document."""


@dataclass(frozen=True)
class Tiling:
    matrix_set: str
    crs: str
    image_format: str
    style: str


def _crs(supported: str) -> str:
    """'urn:ogc:def:crs:EPSG::3857' or 'EPSG:3857' -> 'EPSG:3857'."""
    found = _EPSG.search(supported.strip())
    return f"EPSG:{found.group(1)}" if found else supported.strip()


def choose_tiling(document: bytes, layer: str, preferred_crs: str = "EPSG:3857") -> Tiling:
    """The layer's tile matrix set in `preferred_crs` if it has one, else its first; PNG
    before other formats; its default style."""
    if b"<!ENTITY" in document:
        raise WmtsError("the capabilities document declares entities: refused")
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as exc:
        raise WmtsError(f"the capabilities are not XML: {exc}") from exc
    contents = root.find(f"{_WMTS}Contents")
    if contents is None:
        raise WmtsError("not a WMTS capabilities document (no Contents)")
    sets = {
        (tms.findtext(f"{_OWS}Identifier") or "").strip(): _crs(
            tms.findtext(f"{_OWS}SupportedCRS") or ""
        )
        for tms in contents.findall(f"{_WMTS}TileMatrixSet")
    }
    for item in contents.findall(f"{_WMTS}Layer"):
        if (item.findtext(f"{_OWS}Identifier") or "").strip() != layer:
            continue
        linked = [
            (link.findtext(f"{_WMTS}TileMatrixSet") or "").strip()
            for link in item.findall(f"{_WMTS}TileMatrixSetLink")
        ]
        linked = [name for name in linked if name in sets]
        if not linked:
            raise WmtsError(f"layer {layer!r} has no tile matrix set")
        chosen = next((n for n in linked if sets[n] == preferred_crs), linked[0])
        formats = [(f.text or "").strip() for f in item.findall(f"{_WMTS}Format")]
        image_format = next(
            (f for f in formats if f == "image/png"), formats[0] if formats else "image/png"
        )
        styles = item.findall(f"{_WMTS}Style")
        default = next(
            (s for s in styles if s.get("isDefault") == "true"), styles[0] if styles else None
        )
        style = (
            (default.findtext(f"{_OWS}Identifier") or "").strip()
            if default is not None
            else "default"
        )
        return Tiling(chosen, sets[chosen], image_format, style or "default")
    raise WmtsError(f"the service offers no layer {layer!r}")
