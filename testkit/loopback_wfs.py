"""A tiny WFS 1.0.0 on loopback, for tests where QGIS must add a WFS layer and read it.

GetCapabilities offers one feature type, `test:wetlands` (EPSG:4326); DescribeFeatureType
answers its XML schema (a name and a polygon); GetFeature answers every feature as GML 2,
whatever the filter. It is not a feature server: no filters, paging or transactions. Every
request is recorded so a test can see what the client asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from testkit.loopback_ows import Answer, serve_ows

__all__ = ["LoopbackWfs", "serve_wfs"]

TYPE_NAME = "test:wetlands"
NAMESPACE = "http://example.org/moisson-test"
# Three small squares in the Camargue: (west, south) corners, 0.1 degree wide.
CORNERS = ((4.4, 43.4), (4.55, 43.4), (4.7, 43.4))


def _capabilities(base_url: str) -> bytes:
    get = f'<DCPType><HTTP><Get onlineResource="{base_url}?"/></HTTP></DCPType>'
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<WFS_Capabilities version="1.0.0" xmlns="http://www.opengis.net/wfs"
    xmlns:ogc="http://www.opengis.net/ogc" xmlns:test="{NAMESPACE}">
  <Service><Name>WFS</Name><Title>Loopback test WFS</Title>
    <OnlineResource>{base_url}</OnlineResource></Service>
  <Capability><Request>
    <GetCapabilities>{get}</GetCapabilities>
    <DescribeFeatureType><SchemaDescriptionLanguage><XMLSCHEMA/></SchemaDescriptionLanguage>
      {get}</DescribeFeatureType>
    <GetFeature><ResultFormat><GML2/></ResultFormat>{get}</GetFeature>
  </Request></Capability>
  <FeatureTypeList><Operations><Query/></Operations>
    <FeatureType><Name>{TYPE_NAME}</Name><Title>Wetlands (test layer)</Title>
      <SRS>EPSG:4326</SRS><LatLongBoundingBox minx="4.4" miny="43.4" maxx="4.8" maxy="43.5"/>
    </FeatureType>
  </FeatureTypeList>
</WFS_Capabilities>
""".encode()


def _schema() -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:gml="http://www.opengis.net/gml"
    xmlns:test="{NAMESPACE}" targetNamespace="{NAMESPACE}" elementFormDefault="qualified">
  <xsd:import namespace="http://www.opengis.net/gml"/>
  <xsd:complexType name="wetlandsType"><xsd:complexContent>
    <xsd:extension base="gml:AbstractFeatureType"><xsd:sequence>
      <xsd:element name="name" type="xsd:string" minOccurs="0"/>
      <xsd:element name="geom" type="gml:PolygonPropertyType" minOccurs="0"/>
    </xsd:sequence></xsd:extension>
  </xsd:complexContent></xsd:complexType>
  <xsd:element name="wetlands" type="test:wetlandsType" substitutionGroup="gml:_Feature"/>
</xsd:schema>
""".encode()


def _features() -> bytes:
    members = []
    for number, (west, south) in enumerate(CORNERS, start=1):
        east, north = west + 0.1, south + 0.1
        ring = f"{west},{south} {east},{south} {east},{north} {west},{north} {west},{south}"
        members.append(
            f"""<gml:featureMember><test:wetlands fid="wetlands.{number}">
  <test:name>Wetland {number}</test:name><test:geom><gml:Polygon srsName="EPSG:4326">
  <gml:outerBoundaryIs><gml:LinearRing><gml:coordinates>{ring}</gml:coordinates>
  </gml:LinearRing></gml:outerBoundaryIs></gml:Polygon></test:geom>
</test:wetlands></gml:featureMember>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs"
    xmlns:gml="http://www.opengis.net/gml" xmlns:test="{NAMESPACE}">
{"".join(members)}
</wfs:FeatureCollection>
""".encode()


@dataclass
class LoopbackWfs:
    """A running responder: its URL, its feature type and every request it received."""

    url: str
    type_name: str = TYPE_NAME
    features: int = len(CORNERS)
    requests: list[dict[str, str]] = field(default_factory=list)

    def get_feature_requests(self) -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("REQUEST", "").lower() == "getfeature"]

    def answer(self, params: dict[str, str]) -> Answer:
        kind = params.get("REQUEST", "").lower()
        if kind == "getcapabilities":
            return 200, "text/xml", _capabilities(self.url)
        if kind == "describefeaturetype":
            return 200, "text/xml", _schema()
        if kind == "getfeature":
            return 200, "text/xml", _features()
        return 400, "text/plain", b"unsupported request\n"


@contextmanager
def serve_wfs() -> Iterator[LoopbackWfs]:
    """Serve the test WFS on 127.0.0.1 (a free port) for the duration of the block."""
    with serve_ows("/wfs", lambda url: LoopbackWfs(url=url)) as wfs:
        yield wfs
