"""QGIS data source strings and layer ids for service layers, as QGIS 3.22 writes them.

The IDG plugin opens projects without resolving layers, so each layer's data source must be
complete as written. The strings follow what QGIS's own source-select dialogs store (learnt
by building layers in QGIS 3.22 and reading `layer.source()`; tests/qgis/ checks every
generated string against QgsDataSourceUri in real QGIS):

- `wms` provider (WMS and WMTS): `QgsDataSourceUri.encodedUri()`: parameters sorted by
  name, `key=value` joined by `&`, values percent-encoded except `!$'()*+,-./:;?@[]_~`,
  letters, digits and `%XX` escapes already there; `contextualWMSLegend=0`, `dpiMode=7`,
  `featureCount=10` as the dialog sets them; WMTS adds `tileMatrixSet`, and its `url` is
  the GetCapabilities URL (the provider only recognises WMTS from `SERVICE=WMTS` there);
- `WFS` and `oapif` providers: `QgsDataSourceUri.uri(false)`: `key='value'` sorted by name,
  separated by spaces, `\\` and `'` escaped with a backslash.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from publish.qgis.service_links import ServiceKind, ServiceLayer

__all__ = ["DataSource", "SourceOptions", "data_source", "layer_id"]

# What QUrlQuery(FullyEncoded) leaves as it is in a query value (checked in QGIS 3.22).
_SAFE = "!$'()*+,-./:;?@[]_~"
_ID_CHARS = re.compile(r"[^A-Za-z0-9_]+")
_ESCAPE = re.compile(r"(%[0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class SourceOptions:
    """Choices the records cannot tell: the CRS and image format asked of map services,
    the CRS asked of WFS, and the WMTS tile matrix set when the link names none."""

    raster_crs: str = "EPSG:3857"
    vector_crs: str = "EPSG:4326"
    image_format: str = "image/png"
    tile_matrix_sets: tuple[tuple[str, str], ...] = ()  # (host, set) pairs
    default_tile_matrix_set: str = "GoogleMapsCompatible"
    wmts_styles: tuple[tuple[str, str], ...] = ()  # (host, style) pairs
    default_wmts_style: str = "default"

    def tile_matrix_set(self, layer: ServiceLayer) -> str:
        if layer.tile_matrix_set:
            return layer.tile_matrix_set
        return dict(self.tile_matrix_sets).get(_host(layer), self.default_tile_matrix_set)

    def wmts_style(self, layer: ServiceLayer) -> str:
        return dict(self.wmts_styles).get(_host(layer), self.default_wmts_style)


def _host(layer: ServiceLayer) -> str:
    return urlsplit(layer.url).hostname or ""


@dataclass(frozen=True)
class DataSource:
    """What a project writes for one layer: QGIS provider key, layer type and source."""

    provider: str  # maplayer <provider>: wms, WFS, oapif
    tree_provider: str  # layer-tree-layer providerKey (QGIS writes OAPIF there)
    layer_type: str  # raster | vector
    source: str
    crs: str


def _encode(value: str) -> str:
    """As QUrlQuery does: an existing `%XX` escape is kept, everything else quoted."""
    pieces = _ESCAPE.split(value)
    return "".join(p if _ESCAPE.fullmatch(p) else quote(p, safe=_SAFE) for p in pieces)


def _encoded_uri(params: dict[str, str]) -> str:
    return "&".join(f"{key}={_encode(params[key])}" for key in sorted(params))


def _quoted_uri(params: dict[str, str]) -> str:
    def quoted(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return " ".join(f"{key}={quoted(params[key])}" for key in sorted(params))


def _with_query(url: str, extra: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{extra}"


def data_source(layer: ServiceLayer, options: SourceOptions) -> DataSource:
    """The QGIS data source of `layer` (see the module docstring)."""
    if layer.kind in (ServiceKind.WMS, ServiceKind.WMTS):
        params = {
            "contextualWMSLegend": "0",
            "crs": options.raster_crs,
            "dpiMode": "7",
            "featureCount": "10",
            "format": options.image_format,
            "layers": layer.layer_name,
            "styles": "",
            "url": layer.url,
        }
        if layer.kind is ServiceKind.WMTS:
            params["styles"] = options.wmts_style(layer)
            params["tileMatrixSet"] = options.tile_matrix_set(layer)
            if "wmtscapabilities.xml" not in layer.url.lower():
                params["url"] = _with_query(layer.url, "SERVICE=WMTS&REQUEST=GetCapabilities")
        return DataSource("wms", "wms", "raster", _encoded_uri(params), options.raster_crs)
    params = {
        "pagingEnabled": "true",
        "preferCoordinatesForWfsT11": "false",
        "restrictToRequestBBOX": "1",
        "typename": layer.layer_name,
        "url": layer.url,
    }
    if layer.kind is ServiceKind.WFS:
        params["srsname"] = options.vector_crs
        params["version"] = "auto"
        return DataSource("WFS", "WFS", "vector", _quoted_uri(params), options.vector_crs)
    return DataSource("oapif", "OAPIF", "vector", _quoted_uri(params), options.vector_crs)


def layer_id(layer: ServiceLayer) -> str:
    """A stable layer id (the same service layer always gets the same id, in every project
    and every build), longer than 10 characters as the IDG plugin requires, made of
    letters, digits and `_` only (the plugin builds browser paths from it)."""
    digest = hashlib.sha256("\x00".join(layer.key).encode()).hexdigest()[:20]
    stem = _ID_CHARS.sub("_", layer.layer_name).strip("_")[:40] or "layer"
    return f"{stem}_{digest}"
