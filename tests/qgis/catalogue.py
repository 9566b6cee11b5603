"""A live Moisson for the plugin tests: the bundled CSW samples plus one record whose WMS link
points at the loopback WMS (testkit.loopback_wms), harvested through the real `csw` source,
served by `moisson serve` (gunicorn) on a free loopback port, in token mode.

The loopback record's source is restricted to ROLE_STAFF, so the plugin finds it only with
the API token it keeps in QGIS's authentication database.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.cli import main
from testkit.moisson_serve import serve_moisson

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "csw"
STAFF = "ROLE_STAFF"
LOOPBACK_TITLE = "Loopback rivers of the plugin test"
FEATURES_TITLE = "Loopback wetland features of the plugin test"
FEATURES_COLLECTION = "wetlands"
TILES_TITLE = "Loopback orthophoto tiles of the plugin test"
WFS_TITLE = "Loopback marsh features of the plugin test"


def wetland_features() -> list[dict[str, Any]]:
    """Three small polygons in the Camargue, as pygeoapi's records provider serves them."""
    return [
        {
            "id": f"wetland-{number}",
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [west, 43.4],
                        [west + 0.1, 43.4],
                        [west + 0.1, 43.5],
                        [west, 43.5],
                        [west, 43.4],
                    ]
                ],
            },
            "properties": {
                "title": f"Wetland {number}",
                "type": "dataset",
                "updated": "2026-01-15T00:00:00Z",
            },
        }
        for number, west in enumerate((4.4, 4.55, 4.7), start=1)
    ]


@dataclass
class LiveMoisson:
    url: str
    token: str
    config: Path


def loopback_record(
    wms_url: str,
    layer: str,
    *,
    identifier: str = "plugin-test-loopback-rivers",
    title: str = LOOPBACK_TITLE,
    protocol: str = "OGC:WMS",
    capabilities: bool = True,
    abstract: str = "Rivers drawn by the loopback WMS that the QGIS plugin test serves itself; "
    "the plugin adds this layer to the map.",
    keywords: tuple[str, ...] = ("rivers", "hydrography"),
) -> str:
    """A small ISO 19139 record (dataset, bbox over France) with one service link."""
    query = "?SERVICE=WMS&amp;REQUEST=GetCapabilities" if capabilities else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"
    xmlns:gco="http://www.isotc211.org/2005/gco">
  <gmd:fileIdentifier><gco:CharacterString>{identifier}</gco:CharacterString>
  </gmd:fileIdentifier>
  <gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/"
    codeListValue="eng">eng</gmd:LanguageCode></gmd:language>
  <gmd:hierarchyLevel><gmd:MD_ScopeCode
    codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#MD_ScopeCode"
    codeListValue="dataset">dataset</gmd:MD_ScopeCode></gmd:hierarchyLevel>
  <gmd:dateStamp><gco:Date>2026-01-15</gco:Date></gmd:dateStamp>
  <gmd:identificationInfo>
    <gmd:MD_DataIdentification>
      <gmd:citation><gmd:CI_Citation>
        <gmd:title><gco:CharacterString>{title}</gco:CharacterString></gmd:title>
        <gmd:date><gmd:CI_Date>
          <gmd:date><gco:Date>2026-01-15</gco:Date></gmd:date>
          <gmd:dateType><gmd:CI_DateTypeCode
            codeList="http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#CI_DateTypeCode"
            codeListValue="publication">publication</gmd:CI_DateTypeCode></gmd:dateType>
        </gmd:CI_Date></gmd:date>
      </gmd:CI_Citation></gmd:citation>
      <gmd:abstract><gco:CharacterString>{abstract}</gco:CharacterString>
      </gmd:abstract>
      <gmd:descriptiveKeywords><gmd:MD_Keywords>
        {
        "".join(
            f"<gmd:keyword><gco:CharacterString>{k}</gco:CharacterString></gmd:keyword>"
            for k in keywords
        )
    }
      </gmd:MD_Keywords></gmd:descriptiveKeywords>
      <gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/"
        codeListValue="eng">eng</gmd:LanguageCode></gmd:language>
      <gmd:extent><gmd:EX_Extent><gmd:geographicElement><gmd:EX_GeographicBoundingBox>
        <gmd:westBoundLongitude><gco:Decimal>-5</gco:Decimal></gmd:westBoundLongitude>
        <gmd:eastBoundLongitude><gco:Decimal>10</gco:Decimal></gmd:eastBoundLongitude>
        <gmd:southBoundLatitude><gco:Decimal>41</gco:Decimal></gmd:southBoundLatitude>
        <gmd:northBoundLatitude><gco:Decimal>52</gco:Decimal></gmd:northBoundLatitude>
      </gmd:EX_GeographicBoundingBox></gmd:geographicElement></gmd:EX_Extent></gmd:extent>
    </gmd:MD_DataIdentification>
  </gmd:identificationInfo>
  <gmd:distributionInfo><gmd:MD_Distribution><gmd:transferOptions>
    <gmd:MD_DigitalTransferOptions><gmd:onLine><gmd:CI_OnlineResource>
      <gmd:linkage><gmd:URL>{wms_url}{query}</gmd:URL>
      </gmd:linkage>
      <gmd:protocol><gco:CharacterString>{protocol}</gco:CharacterString></gmd:protocol>
      <gmd:name><gco:CharacterString>{layer}</gco:CharacterString></gmd:name>
    </gmd:CI_OnlineResource></gmd:onLine></gmd:MD_DigitalTransferOptions>
  </gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo>
</gmd:MD_Metadata>
"""


def write_config(
    tmp: Path,
    wms_url: str,
    layer: str,
    features_url: str | None,
    wmts: tuple[str, str] | None,
    wfs: tuple[str, str] | None,
) -> Path:
    """The config; with `features_url` (an OGC API Features landing page), a second
    restricted record links its `wetlands` collection; with `wmts` or `wfs` (URL, layer),
    a record links that WMTS layer or WFS feature type."""
    folder = tmp / "loopback"
    folder.mkdir()
    (folder / "loopback-rivers.xml").write_text(loopback_record(wms_url, layer), "utf-8")
    if wmts:
        tiles = loopback_record(
            f"{wmts[0]}?SERVICE=WMTS&amp;REQUEST=GetCapabilities",
            wmts[1],
            identifier="plugin-test-loopback-tiles",
            title=TILES_TITLE,
            protocol="OGC:WMTS",
            capabilities=False,
            abstract="Orthophoto tiles served by the loopback WMTS of the QGIS plugin test.",
            keywords=("orthophotography",),
        )
        (folder / "loopback-tiles.xml").write_text(tiles, "utf-8")
    if wfs:
        features = loopback_record(
            f"{wfs[0]}?SERVICE=WFS&amp;REQUEST=GetCapabilities",
            wfs[1],
            identifier="plugin-test-loopback-marshes",
            title=WFS_TITLE,
            protocol="OGC:WFS",
            capabilities=False,
            abstract="Marsh polygons served by the loopback WFS of the QGIS plugin test.",
            keywords=("marshes",),
        )
        (folder / "loopback-marshes.xml").write_text(features, "utf-8")
    if features_url:
        features = loopback_record(
            f"{features_url}/collections/{FEATURES_COLLECTION}",
            FEATURES_COLLECTION,
            identifier="plugin-test-loopback-wetlands",
            title=FEATURES_TITLE,
            protocol="OGC API - Features",
            capabilities=False,
            abstract="Wetland polygons served by pygeoapi for the QGIS plugin test.",
            keywords=("wetlands",),
        )
        (folder / "loopback-wetlands.xml").write_text(features, "utf-8")
    config = tmp / "moisson.toml"
    config.write_text(
        f"""[store]
url = "sqlite:///{tmp / "store.db"}"
[index]
url = "sqlite:///{tmp / "index.db"}"
[harvest]
allow_files = true
rate_limit = 0
[api]
anonymous_rate_limit = 0
[auth]
mode = "token"

[[sources]]
id = "samples"
name = "Sample catalogue"
kind = "csw"
url = "{SAMPLES.as_uri()}"

[[sources]]
id = "loopback"
name = "Loopback WMS"
kind = "csw"
url = "{folder.as_uri()}"
access = {{ public = false, roles = ["{STAFF}"] }}
""",
        encoding="utf-8",
    )
    return config


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    assert code == 0, f"moisson {' '.join(args)} -> {code}\n{out.getvalue()}"
    return out.getvalue()


@contextmanager
def live_moisson(
    tmp: Path,
    wms_url: str,
    layer: str,
    features_url: str | None = None,
    wmts: tuple[str, str] | None = None,
    wfs: tuple[str, str] | None = None,
) -> Iterator[LiveMoisson]:
    """Harvest, create a ROLE_STAFF token, and run `moisson serve` until the block ends."""
    config = write_config(tmp, wms_url, layer, features_url, wmts, wfs)
    _cli("--config", str(config), "harvest")
    token = _cli("--config", str(config), "tokens", "create", "qgis", "--role", STAFF)
    secret = token.strip().splitlines()[-1]
    with serve_moisson(config) as url:
        yield LiveMoisson(url, secret, config)
