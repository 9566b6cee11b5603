"""A tiny WMS 1.3.0 on loopback, for tests where a real client (QGIS) must load and render a layer.

It answers GetCapabilities with one queryable layer and GetMap with a PNG of the requested
size filled with one colour, so a test can check that the client really drew something. It is
not a map server: no styles, no reprojection, no GetFeatureInfo. Every request is recorded so
a test can see what the client asked for.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from testkit.loopback_ows import Answer, serve_ows

__all__ = ["LoopbackWms", "png_bytes", "serve_wms"]

LAYER = "sample_rivers"
LAYER_TITLE = "Sample rivers (test layer)"
# The colour every GetMap answer is filled with (RGBA), so a render can be checked for it.
FILL = (30, 110, 200, 255)


def png_bytes(width: int, height: int, rgba: tuple[int, int, int, int] = FILL) -> bytes:
    """A solid-colour RGBA PNG, written with zlib only (the test needs no imaging library)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgba) * width  # filter byte 0 then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _capabilities(base_url: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<WMS_Capabilities version="1.3.0" xmlns="http://www.opengis.net/wms"
    xmlns:xlink="http://www.w3.org/1999/xlink">
  <Service>
    <Name>WMS</Name>
    <Title>Loopback test WMS</Title>
    <OnlineResource xlink:href="{base_url}"/>
  </Service>
  <Capability>
    <Request>
      <GetCapabilities>
        <Format>text/xml</Format>
        <DCPType><HTTP><Get><OnlineResource xlink:href="{base_url}?"/></Get></HTTP></DCPType>
      </GetCapabilities>
      <GetMap>
        <Format>image/png</Format>
        <DCPType><HTTP><Get><OnlineResource xlink:href="{base_url}?"/></Get></HTTP></DCPType>
      </GetMap>
    </Request>
    <Exception><Format>XML</Format></Exception>
    <Layer>
      <Title>Loopback test WMS</Title>
      <CRS>EPSG:4326</CRS>
      <CRS>EPSG:3857</CRS>
      <EX_GeographicBoundingBox>
        <westBoundLongitude>-180</westBoundLongitude><eastBoundLongitude>180</eastBoundLongitude>
        <southBoundLatitude>-90</southBoundLatitude><northBoundLatitude>90</northBoundLatitude>
      </EX_GeographicBoundingBox>
      <Layer queryable="0">
        <Name>{LAYER}</Name>
        <Title>{LAYER_TITLE}</Title>
        <CRS>EPSG:4326</CRS>
        <CRS>EPSG:3857</CRS>
        <EX_GeographicBoundingBox>
          <westBoundLongitude>-5</westBoundLongitude><eastBoundLongitude>10</eastBoundLongitude>
          <southBoundLatitude>41</southBoundLatitude><northBoundLatitude>52</northBoundLatitude>
        </EX_GeographicBoundingBox>
        <BoundingBox CRS="EPSG:4326" minx="41" miny="-5" maxx="52" maxy="10"/>
      </Layer>
    </Layer>
  </Capability>
</WMS_Capabilities>
""".encode()


@dataclass
class LoopbackWms:
    """A running responder: its URL, the layer it offers and every request it received."""

    url: str
    layer: str = LAYER
    requests: list[dict[str, str]] = field(default_factory=list)

    def get_map_requests(self) -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("REQUEST", "").lower() == "getmap"]

    def answer(self, params: dict[str, str]) -> Answer:
        kind = params.get("REQUEST", "").lower()
        if kind == "getcapabilities":
            return 200, "text/xml", _capabilities(self.url)
        if kind == "getmap" and params.get("LAYERS") == self.layer:
            width = min(int(params.get("WIDTH", "256")), 4096)
            height = min(int(params.get("HEIGHT", "256")), 4096)
            return 200, "image/png", png_bytes(width, height)
        return 400, "text/plain", b"unsupported request or unknown layer\n"


@contextmanager
def serve_wms() -> Iterator[LoopbackWms]:
    """Serve the test WMS on 127.0.0.1 (a free port) for the duration of the block."""
    with serve_ows("/wms", lambda url: LoopbackWms(url=url)) as wms:
        yield wms
