"""The plugin's link rules (pure Python, no QGIS needed): which links of a search hit become
map layers, with what data source, and which are refused because they carry credentials."""

from __future__ import annotations

from typing import Any

import pytest

from qgis_plugin.moisson_search.service_links import (
    ServiceLink,
    oapif_params,
    service_links,
    wfs_params,
    wms_params,
)
from qgis_plugin.moisson_search.wmts_capabilities import WmtsError, choose_tiling


def _hit(*links: dict[str, Any]) -> dict[str, Any]:
    return {"id": "r1", "title": "Wetlands", "links": list(links)}


def test_each_service_kind_gives_one_layer_and_other_links_none() -> None:
    layers, refused = service_links(
        _hit(
            {
                "url": "https://sdi.example.org/wms?SERVICE=WMS&request=GetCapabilities",
                "protocol": "OGC:WMS",
                "name": "tdv:wetlands",
            },
            {"url": "https://sdi.example.org/wms", "protocol": "OGC:WMS", "name": "tdv:wetlands"},
            {
                "url": "https://sdi.example.org/gwc/wmts?SERVICE=WMTS",
                "protocol": "OGC:WMTS",
                "name": "ortho",
            },
            {"url": "https://sdi.example.org/ows", "protocol": "OGC:WFS", "name": "tdv:zh"},
            {
                "url": "https://api.example.org/ogc/collections/zh/items?f=json",
                "protocol": "OGC API - Features",
                "name": None,
            },
            {"url": "https://sdi.example.org/zh.zip", "protocol": "download", "name": "zh"},
            {
                "url": "https://sdi.example.org/ows?service=WFS",
                "protocol": "WWW:LINK",
                "name": "tdv:other",
            },
        )
    )
    assert refused == []
    assert layers == [
        ServiceLink("WMS", "https://sdi.example.org/wms", "tdv:wetlands", "Wetlands"),
        ServiceLink("WMTS", "https://sdi.example.org/gwc/wmts", "ortho", "Wetlands"),
        ServiceLink("WFS", "https://sdi.example.org/ows", "tdv:zh", "Wetlands"),
        ServiceLink("OAPIF", "https://api.example.org/ogc", "zh", "Wetlands"),
        ServiceLink("WFS", "https://sdi.example.org/ows", "tdv:other", "Wetlands"),
    ]
    assert [layer.provider for layer in layers] == ["wms", "wms", "WFS", "OAPIF", "WFS"]


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@sdi.example.org/wms",
        "https://sdi.example.org/wms?token=abc",
        "https://sdi.example.org/wms?SERVICE=WMS&apikey=abc",
        "ftp://sdi.example.org/wms",
    ],
)
def test_links_with_credentials_or_no_http_are_refused_with_a_reason(url: str) -> None:
    layers, refused = service_links(_hit({"url": url, "protocol": "OGC:WMS", "name": "a"}))
    assert layers == []
    assert len(refused) == 1 and refused[0].startswith("WMS link left out: ")
    assert "secret" not in refused[0] and "abc" not in refused[0]


def test_a_service_link_without_a_layer_name_is_refused() -> None:
    layers, refused = service_links(_hit({"url": "https://x.org/wms", "protocol": "OGC:WMS"}))
    assert layers == [] and refused == ["WMS link left out: it names no layer (https://x.org/wms)"]


def test_data_source_keys_are_those_qgis_providers_read() -> None:
    wms = ServiceLink("WMS", "https://sdi.example.org/cgi?map=/srv/a b.map", "tdv:zh", "T")
    assert dict(wms_params(wms, "EPSG:3857")) == {
        "contextualWMSLegend": "0",
        "crs": "EPSG:3857",
        "dpiMode": "7",
        "featureCount": "10",
        "format": "image/png",
        "layers": "tdv:zh",
        "styles": "",
        "url": "https://sdi.example.org/cgi?map=/srv/a b.map",
    }
    wfs = ServiceLink("WFS", "https://sdi.example.org/ows", "tdv:zh", "T")
    assert dict(wfs_params(wfs))["typename"] == "tdv:zh"
    assert dict(wfs_params(wfs))["srsname"] == "EPSG:4326"
    oapif = ServiceLink("OAPIF", "https://api.example.org/ogc", "zh", "T")
    assert oapif_params(oapif) == [("typename", "zh"), ("url", "https://api.example.org/ogc")]


CAPABILITIES = b"""<?xml version="1.0"?>
<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1"
    version="1.0.0">
  <Contents>
    <Layer>
      <ows:Identifier>ortho</ows:Identifier>
      <Style isDefault="true"><ows:Identifier>normal</ows:Identifier></Style>
      <Format>image/jpeg</Format><Format>image/png</Format>
      <TileMatrixSetLink><TileMatrixSet>LAMB93</TileMatrixSet></TileMatrixSetLink>
      <TileMatrixSetLink><TileMatrixSet>PM</TileMatrixSet></TileMatrixSetLink>
    </Layer>
    <TileMatrixSet><ows:Identifier>PM</ows:Identifier>
      <ows:SupportedCRS>urn:ogc:def:crs:EPSG::3857</ows:SupportedCRS></TileMatrixSet>
    <TileMatrixSet><ows:Identifier>LAMB93</ows:Identifier>
      <ows:SupportedCRS>EPSG:2154</ows:SupportedCRS></TileMatrixSet>
  </Contents>
</Capabilities>"""


def test_wmts_tiling_prefers_the_map_crs_and_png() -> None:
    tiling = choose_tiling(CAPABILITIES, "ortho", "EPSG:3857")
    assert (tiling.matrix_set, tiling.crs, tiling.image_format, tiling.style) == (
        "PM",
        "EPSG:3857",
        "image/png",
        "normal",
    )
    assert choose_tiling(CAPABILITIES, "ortho", "EPSG:4326").matrix_set == "LAMB93"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (CAPABILITIES, "no layer 'missing'"),
        (b"<html>down</html>", "not a WMTS capabilities document"),
        (b"<a>", "not XML"),
        (b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "declares entities"),
    ],
)
def test_wmts_capabilities_problems_are_clear_errors(document: bytes, message: str) -> None:
    with pytest.raises(WmtsError, match=message):
        choose_tiling(document, "missing")
