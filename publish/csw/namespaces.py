"""XML namespaces and fixed names of CSW 2.0.2 / ISO AP 1.0, in one place.

`q("csw:Record")` gives the Clark name lxml uses. `SCHEMA_LOCATIONS` are the canonical
schema URLs written into responses (clients and validators map them to local copies; the
server never fetches them).
"""

from __future__ import annotations

__all__ = [
    "CSW_SCHEMA",
    "ISO_SCHEMA",
    "NS",
    "OUTPUT_SCHEMAS",
    "SCHEMA_LOCATIONS",
    "VERSION",
    "q",
]

VERSION = "2.0.2"

NS: dict[str, str] = {
    "csw": "http://www.opengis.net/cat/csw/2.0.2",
    "ows": "http://www.opengis.net/ows",
    "ogc": "http://www.opengis.net/ogc",
    "gml": "http://www.opengis.net/gml",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dct": "http://purl.org/dc/terms/",
    "xlink": "http://www.w3.org/1999/xlink",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xs": "http://www.w3.org/2001/XMLSchema",
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gmx": "http://www.isotc211.org/2005/gmx",
    "srv": "http://www.isotc211.org/2005/srv",
    "gmi": "http://www.isotc211.org/2005/gmi",
    "apiso": "http://www.opengis.net/cat/csw/apiso/1.0",
    "soap": "http://www.w3.org/2003/05/soap-envelope",
}

CSW_SCHEMA = NS["csw"]  # outputSchema for csw:Record (Dublin Core)
ISO_SCHEMA = NS["gmd"]  # outputSchema for gmd:MD_Metadata (ISO 19139)
OUTPUT_SCHEMAS = (CSW_SCHEMA, ISO_SCHEMA)

SCHEMA_LOCATIONS = {
    "csw": "http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd",
    "ows": "http://schemas.opengis.net/ows/1.0.0/owsExceptionReport.xsd",
    "record": "http://schemas.opengis.net/csw/2.0.2/record.xsd",
}


def q(name: str) -> str:
    """Clark notation for a prefixed name: q('csw:Record') -> '{http://...}Record'."""
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"
