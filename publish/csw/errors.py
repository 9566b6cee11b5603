"""CSW errors: an OWS 1.0.0 exception code, a locator and a message, rendered as
`ows:ExceptionReport` by the blueprint itself (never the app-wide JSON shape).

Codes (the OWS 1.0.0 exception codes CSW 2.0.2 uses):

- `MissingParameterValue`: a mandatory parameter is absent (locator: its name);
- `InvalidParameterValue`: a value is wrong or not supported: bad filter, unknown
  queryable, bad CRS, bad date, out-of-range number (locator: the parameter);
- `OperationNotSupported`: Harvest, Transaction, unknown requests (locator: the request);
- `VersionNegotiationFailed`: acceptVersions without 2.0.2;
- `NoApplicableCode`: anything else (the server's fault or an oversized body).

HTTP status: 200 for CSW 2.0.2 exceptions, as pycsw and GeoNetwork answer and as OWSLib
expects (it parses the report and raises `ExceptionReport` with the code); the body limit
(413) and internal errors (500) keep their status so proxies see them.
"""

from __future__ import annotations

from lxml import etree

from publish.csw.namespaces import NS, SCHEMA_LOCATIONS, q

__all__ = ["CswError", "exception_report"]


class CswError(Exception):
    """A request the catalogue answers with an ows:ExceptionReport."""

    def __init__(
        self, code: str, message: str, locator: str | None = None, *, status: int = 200
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.locator = locator
        self.status = status


def exception_report(error: CswError) -> bytes:
    """The ows:ExceptionReport document for `error` (OWS 1.0.0, as CSW 2.0.2 imports)."""
    root = etree.Element(q("ows:ExceptionReport"), nsmap={"ows": NS["ows"], "xsi": NS["xsi"]})
    root.set("version", "1.2.0")
    root.set("language", "en")
    root.set(q("xsi:schemaLocation"), f"{NS['ows']} {SCHEMA_LOCATIONS['ows']}")
    exception = etree.SubElement(root, q("ows:Exception"), exceptionCode=error.code)
    if error.locator:
        exception.set("locator", error.locator)
    etree.SubElement(exception, q("ows:ExceptionText")).text = error.message
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
