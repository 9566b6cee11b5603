"""A tiny WMTS 1.0.0 on loopback, for tests where QGIS must add and render a WMTS layer.

GetCapabilities (KVP) describes one layer on one tile matrix set, `PM` (EPSG:3857, the
three first levels of the OGC WebMercatorQuad), with both a KVP GetTile and a RESTful
ResourceURL; every tile is a 256x256 PNG of colour `FILL`. It is not a tile server: no
styles, no other formats. Every request is recorded so a test can see what the client asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from testkit.loopback_ows import Answer, serve_ows
from testkit.loopback_wms import FILL, png_bytes

__all__ = ["FILL", "LoopbackWmts", "serve_wmts"]

LAYER = "sample_ortho"
MATRIX_SET = "PM"
# WebMercatorQuad levels 0-2: scale denominator, matrix width = height.
_LEVELS = ((559082264.0287178, 1), (279541132.0143589, 2), (139770566.0071794, 4))
_ORIGIN = "-20037508.3427892 20037508.3427892"


def _capabilities(base_url: str) -> bytes:
    matrices = "".join(
        f"""
      <TileMatrix><ows:Identifier>{level}</ows:Identifier>
        <ScaleDenominator>{scale}</ScaleDenominator><TopLeftCorner>{_ORIGIN}</TopLeftCorner>
        <TileWidth>256</TileWidth><TileHeight>256</TileHeight>
        <MatrixWidth>{size}</MatrixWidth><MatrixHeight>{size}</MatrixHeight></TileMatrix>"""
        for level, (scale, size) in enumerate(_LEVELS)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1"
    xmlns:xlink="http://www.w3.org/1999/xlink" version="1.0.0">
  <ows:ServiceIdentification>
    <ows:Title>Loopback test WMTS</ows:Title>
    <ows:ServiceType>OGC WMTS</ows:ServiceType>
    <ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>
  </ows:ServiceIdentification>
  <ows:OperationsMetadata>
    <ows:Operation name="GetCapabilities"><ows:DCP><ows:HTTP>
      <ows:Get xlink:href="{base_url}?"><ows:Constraint name="GetEncoding"><ows:AllowedValues>
        <ows:Value>KVP</ows:Value></ows:AllowedValues></ows:Constraint></ows:Get>
    </ows:HTTP></ows:DCP></ows:Operation>
    <ows:Operation name="GetTile"><ows:DCP><ows:HTTP>
      <ows:Get xlink:href="{base_url}?"><ows:Constraint name="GetEncoding"><ows:AllowedValues>
        <ows:Value>KVP</ows:Value></ows:AllowedValues></ows:Constraint></ows:Get>
    </ows:HTTP></ows:DCP></ows:Operation>
  </ows:OperationsMetadata>
  <Contents>
    <Layer>
      <ows:Title>Sample orthophoto (test layer)</ows:Title>
      <ows:WGS84BoundingBox><ows:LowerCorner>-5 41</ows:LowerCorner>
        <ows:UpperCorner>10 52</ows:UpperCorner></ows:WGS84BoundingBox>
      <ows:Identifier>{LAYER}</ows:Identifier>
      <Style isDefault="true"><ows:Identifier>default</ows:Identifier></Style>
      <Format>image/png</Format>
      <TileMatrixSetLink><TileMatrixSet>{MATRIX_SET}</TileMatrixSet></TileMatrixSetLink>
    </Layer>
    <TileMatrixSet>
      <ows:Identifier>{MATRIX_SET}</ows:Identifier>
      <ows:SupportedCRS>urn:ogc:def:crs:EPSG::3857</ows:SupportedCRS>{matrices}
    </TileMatrixSet>
  </Contents>
</Capabilities>
""".encode()


@dataclass
class LoopbackWmts:
    """A running responder: its URL, the layer it offers and every request it received."""

    url: str
    layer: str = LAYER
    matrix_set: str = MATRIX_SET
    requests: list[dict[str, str]] = field(default_factory=list)

    def tile_requests(self) -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("REQUEST", "").lower() == "gettile"]

    def answer(self, params: dict[str, str]) -> Answer:
        kind = params.get("REQUEST", "").lower()
        if kind == "getcapabilities":
            return 200, "text/xml", _capabilities(self.url)
        if kind == "gettile" and params.get("LAYER") == self.layer:
            return 200, "image/png", png_bytes(256, 256)
        return 400, "text/plain", b"unsupported request or unknown layer\n"


@contextmanager
def serve_wmts() -> Iterator[LoopbackWmts]:
    """Serve the test WMTS on 127.0.0.1 (a free port) for the duration of the block."""
    with serve_ows("/wmts", lambda url: LoopbackWmts(url=url)) as wmts:
        yield wmts
