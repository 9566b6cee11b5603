"""The loopback WMS that the QGIS tests render from answers a real WMS client (OWSLib)."""

from __future__ import annotations

import struct

import httpx
from owslib.wms import WebMapService

from testkit.loopback_wms import LAYER, serve_wms


def test_owslib_reads_its_capabilities_and_gets_a_png_of_the_asked_size() -> None:
    with serve_wms() as wms:
        client = WebMapService(wms.url, version="1.3.0")
        assert LAYER in client.contents
        image = client.getmap(
            layers=[LAYER], srs="EPSG:4326", bbox=(41, -5, 52, 10), size=(64, 32),
            format="image/png",
        ).read()
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", image[16:24])
    assert (width, height) == (64, 32)
    assert len(wms.get_map_requests()) == 1


def test_an_unknown_layer_is_refused() -> None:
    with serve_wms() as wms:
        answer = httpx.get(wms.url, params={"REQUEST": "GetMap", "LAYERS": "nope"})
    assert answer.status_code == 400
