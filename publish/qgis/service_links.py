"""Which links of a record are map-service layers a GIS client can add, and which to refuse.

One place for the rule, used by the generated QGIS projects (publish/qgis/) and by anything
else that turns a record's links into layers. Pure functions over `moisson.record.Link`:

- kinds: `OGC:WMS`, `OGC:WMTS`, `OGC:WFS` and `OGC API - Features` links (the protocols the
  harvester normalises to, harvester/formats/normalise.py);
- the layer name: the link's `name`, else the URL's `LAYERS` / `LAYER` (WMS, WMTS) or
  `TYPENAME(S)` (WFS) parameter; for OGC API Features the collection id of a
  `.../collections/{id}[/items]` URL, else the link's `name`. A name holding whitespace is a
  description catalogues put there (`WFS GetCapabilities request for ...`), not a layer;
- the service URL: http(s) with a host, the OGC request parameters (SERVICE, REQUEST,
  VERSION, LAYERS...) taken off, other parameters kept (`map=` of MapServer);
- refused, with the reason (the caller logs it and leaves the layer out, never copies it):
  a malformed URL, credentials in it (`user:pass@`), or a query parameter that carries a
  secret (token, apikey, password...). Credentials are never written into a project.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, unquote_plus, urlsplit, urlunsplit

from moisson.record import Link

__all__ = [
    "SECRET_PARAMETERS",
    "LayerRefused",
    "ServiceKind",
    "ServiceLayer",
    "distinct_layers",
    "service_layer",
]


class ServiceKind(StrEnum):
    """The service kinds a project layer can come from (the normalised link protocol)."""

    WMS = "OGC:WMS"
    WMTS = "OGC:WMTS"
    WFS = "OGC:WFS"
    OAPIF = "OGC API - Features"


# Query parameter names (lower case) that carry a secret: a link holding one is refused.
SECRET_PARAMETERS = frozenset(
    {
        "token",
        "access_token",
        "accesstoken",
        "auth_token",
        "authtoken",
        "id_token",
        "api_key",
        "apikey",
        "api-key",
        "key",
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "client_secret",
        "authkey",
        "auth",
        "signature",
        "sig",
        "ticket",
        "session",
        "sessionid",
        "jsessionid",
        "x-amz-signature",
        "x-amz-credential",
    }
)

# OGC request parameters (lower case): not part of the service address.
_OGC_PARAMETERS = frozenset(
    {
        "service",
        "request",
        "version",
        "acceptversions",
        "layers",
        "layer",
        "typename",
        "typenames",
        "styles",
        "style",
        "format",
        "crs",
        "srs",
        "srsname",
        "bbox",
        "width",
        "height",
        "transparent",
        "outputformat",
        "tilematrixset",
        "tilematrix",
        "tilerow",
        "tilecol",
        "sections",
        "language",
    }
)
_NAME_PARAMETERS = {
    ServiceKind.WMS: ("layers", "layer"),
    ServiceKind.WMTS: ("layer", "layers"),
    ServiceKind.WFS: ("typenames", "typename"),
}
_COLLECTION = re.compile(r"^(?P<base>.*?)/collections/(?P<id>[^/]+)(?:/items/?)?/?$")
_SECRET_WORDS = re.compile(r"(token|apikey|api_key|password|passwd|secret)", re.IGNORECASE)


class LayerRefused(ValueError):
    """A service link that cannot become a layer; `reason` says why, for the log line.
    `unsafe`: refused for what it holds (credentials, a malformed URL), which an admin
    should look at; otherwise it merely names no layer (a bare GetCapabilities link)."""

    def __init__(self, reason: str, *, unsafe: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unsafe = unsafe


@dataclass(frozen=True, order=True)
class ServiceLayer:
    """One layer of one service: what a GIS client needs to add it. `url` is the service
    address without OGC request parameters; `tile_matrix_set` is only known for WMTS links
    whose URL names one."""

    kind: ServiceKind
    url: str
    layer_name: str
    tile_matrix_set: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two layers the same: kind, service address (scheme and host
        case-insensitive, query parameters decoded and in any order) and layer name."""
        return (self.kind.value, _comparable(self.url), self.layer_name)


def _comparable(url: str) -> str:
    """The address with its query decoded and sorted: `map=/a` and `map=%2Fa` are one."""
    parts = urlsplit(url)
    query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, query, ""))


def _kind(link: Link) -> ServiceKind | None:
    try:
        return ServiceKind(link.protocol) if link.protocol else None
    except ValueError:
        return None


def _name(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if any(c.isspace() for c in text):
        raise LayerRefused(
            f"layer name {text[:60]!r} holds spaces: a description, not a name", unsafe=False
        )
    return text


def service_layer(link: Link) -> ServiceLayer | None:
    """The layer `link` gives; None when it is no service link; LayerRefused (with the
    reason) when it is one that must be left out."""
    kind = _kind(link)
    if kind is None:
        return None
    raw = link.url.strip()
    if not raw or any(c.isspace() or ord(c) < 32 for c in raw):
        raise LayerRefused("malformed service URL (empty, or holding spaces)")
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises ValueError for a bad port
        params = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError as exc:
        raise LayerRefused(f"malformed service URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise LayerRefused("malformed service URL (not http(s) with a host)")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise LayerRefused("credentials in the service URL (user:pass@)")
    secret = next(
        (name for name, _ in params if name.lower() in SECRET_PARAMETERS or _secret(name)), None
    )
    if secret is not None:
        raise LayerRefused(f"a secret in the service URL (query parameter {secret!r})")
    lowered = {name.lower(): value for name, value in params}
    kept = [  # the other parameters as written (their encoding untouched)
        piece
        for piece in parts.query.split("&")
        if piece and unquote_plus(piece.partition("=")[0]).lower() not in _OGC_PARAMETERS
    ]
    netloc = parts.hostname.lower() + (f":{port}" if port is not None else "")
    path = parts.path or "/"
    name = _name(link.name)
    if kind is ServiceKind.OAPIF:
        found = _COLLECTION.match(path)
        if found is not None:
            path, name = found.group("base") or "/", found.group("id")
    else:
        for parameter in _NAME_PARAMETERS[kind]:
            if name is None and lowered.get(parameter):
                name = _name(lowered[parameter].split(",")[0])
    if name is None:
        raise LayerRefused(
            "no layer name (neither the link's name nor the URL gives one)", unsafe=False
        )
    url = urlunsplit((parts.scheme.lower(), netloc, path, "&".join(kept), ""))
    matrix = (lowered.get("tilematrixset") or None) if kind is ServiceKind.WMTS else None
    return ServiceLayer(kind, url, name, matrix)


def _secret(name: str) -> bool:
    return bool(_SECRET_WORDS.search(name))


def distinct_layers(
    links: Iterable[Link], refused: list[tuple[Link, str]] | None = None
) -> list[ServiceLayer]:
    """The distinct service layers of `links`, in link order; refused service links are
    appended to `refused` with their reason when a list is given."""
    found: dict[tuple[str, str, str], ServiceLayer] = {}
    for link in links:
        try:
            layer = service_layer(link)
        except LayerRefused as exc:
            if refused is not None:
                refused.append((link, exc.reason))
            continue
        if layer is not None:
            found.setdefault(layer.key, layer)
    return list(found.values())
