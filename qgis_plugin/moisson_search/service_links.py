"""Which links of a Moisson hit QGIS can add to the map, and the data source QGIS needs.

Pure Python (no qgis import) so the rules are readable in one place and testable anywhere.
Moisson normalises link protocols when it harvests (`OGC:WMS`, `OGC:WMTS`, `OGC:WFS`,
`OGC API - Features`); other spellings and a `service=` query parameter are accepted too,
for servers that did not normalise. A link whose URL carries credentials (`user:pass@`, a
token-like query parameter) is refused: adding it would copy the secret into the project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "KINDS",
    "Params",
    "ServiceLink",
    "UnsafeLink",
    "oapif_params",
    "service_links",
    "wfs_params",
    "wms_params",
    "wmts_params",
]

# kind -> QGIS provider key
KINDS = {"WMS": "wms", "WMTS": "wms", "WFS": "WFS", "OAPIF": "OAPIF"}

_ACRONYM = re.compile(r"(?<![A-Z])(WMTS|WMS|WFS)(?![A-Z])")
# Query parameters a service URL must not carry into a project (OGC request parameters are
# dropped too: QGIS adds its own).
_SECRET_PARAMS = re.compile(
    r"^(access_?token|token|api_?key|apikey|key|password|passwd|pwd|secret|auth|authkey|"
    r"signature|sig|x-amz-signature)$",
    re.IGNORECASE,
)
_OGC_PARAMS = {
    "service",
    "request",
    "version",
    "acceptversions",
    "layers",
    "typename",
    "typenames",
    "format",
    "crs",
    "srs",
    "bbox",
    "width",
    "height",
    "styles",
}


class UnsafeLink(ValueError):
    """The link's URL cannot be used as written (credentials in it, or not http(s))."""


@dataclass(frozen=True)
class ServiceLink:
    """One layer a hit offers: `kind` is WMS, WMTS, WFS or OAPIF; `url` the service base
    URL (OGC request parameters removed); `layer` the layer, feature type or collection."""

    kind: str
    url: str
    layer: str
    title: str

    @property
    def provider(self) -> str:
        return KINDS[self.kind]

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.layer}"


def _kind(protocol: str, url: str) -> str | None:
    key = protocol.upper().replace("_", " ")
    found = _ACRONYM.search(key)
    if found:
        return found.group(1)
    if "OGC API" in key.replace("-", " ") and "FEATURE" in key:
        return "OAPIF"
    if "WEB MAP TILE SERVICE" in key:
        return "WMTS"
    if "WEB MAP SERVICE" in key:
        return "WMS"
    if "WEB FEATURE SERVICE" in key:
        return "WFS"
    for name, value in parse_qsl(urlsplit(url).query):
        if name.lower() == "service" and value.upper() in ("WMS", "WMTS", "WFS"):
            return value.upper()
    return None


def clean_url(url: str) -> str:
    """The service URL without OGC request parameters; UnsafeLink when it holds secrets."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeLink(f"not an http(s) service URL: {url!r}")
    if parts.username or parts.password:
        raise UnsafeLink("the service URL carries a user name or password")
    kept = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if _SECRET_PARAMS.match(name):
            raise UnsafeLink(f"the service URL carries a credential ({name}=...)")
        if name.lower() not in _OGC_PARAMS:
            kept.append((name, value))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))


def _oapif_parts(url: str, name: str) -> tuple[str, str]:
    """OGC API Features links point at the landing page, a collection or its items."""
    path = urlsplit(url).path
    marker = "/collections/"
    if marker in path:
        base, _, rest = url.partition(marker)
        collection = rest.split("/")[0].split("?")[0]
        return base, name or collection
    return url.rstrip("/"), name


def service_links(hit: dict) -> tuple[list[ServiceLink], list[str]]:
    """(the layers QGIS can add from a hit's links, why the others were left out)."""
    found: list[ServiceLink] = []
    refused: list[str] = []
    title = hit.get("title") or ""
    for link in hit.get("links") or []:
        url = (link.get("url") or "").strip()
        kind = _kind(link.get("protocol") or "", url)
        if kind is None or not url:
            continue
        name = (link.get("name") or "").strip()
        try:
            base = clean_url(url)
        except UnsafeLink as exc:
            refused.append(f"{kind} link left out: {exc}")
            continue
        if kind == "OAPIF":
            base, name = _oapif_parts(base, name)
        if not name:
            refused.append(f"{kind} link left out: it names no layer ({url})")
            continue
        service = ServiceLink(kind, base, name, title)
        if service not in found:
            found.append(service)
    return found, refused


Params = list[tuple[str, str]]


def wms_params(link: ServiceLink, crs: str, image_format: str = "image/png") -> Params:
    """The data source keys of QGIS's wms provider (as its WMS dialog writes them);
    layers.py encodes them with QgsDataSourceUri.encodedUri()."""
    return [
        ("contextualWMSLegend", "0"),
        ("crs", crs),
        ("dpiMode", "7"),
        ("featureCount", "10"),
        ("format", image_format),
        ("layers", link.layer),
        ("styles", ""),
        ("url", link.url),
    ]


def wmts_params(
    link: ServiceLink, crs: str, matrix_set: str, image_format: str, style: str
) -> Params:
    """A WMTS layer for the wms provider: tile matrix set, format and style come from the
    service's capabilities (wmts_capabilities.choose_tiling)."""
    return [
        ("contextualWMSLegend", "0"),
        ("crs", crs),
        ("dpiMode", "7"),
        ("format", image_format),
        ("layers", link.layer),
        ("styles", style),
        ("tileMatrixSet", matrix_set),
        ("url", link.url),
    ]


def wfs_params(link: ServiceLink, crs: str = "EPSG:4326") -> Params:
    """The keys of QGIS's WFS provider (layers.py writes them as key='value' pairs)."""
    return [
        ("pagingEnabled", "true"),
        ("preferCoordinatesForWfsT11", "false"),
        ("restrictToRequestBBOX", "1"),
        ("srsname", crs),
        ("typename", link.layer),
        ("url", link.url),
        ("version", "auto"),
    ]


def oapif_params(link: ServiceLink) -> Params:
    """The keys of QGIS's OAPIF provider: the landing page URL and the collection id."""
    return [("typename", link.layer), ("url", link.url)]
