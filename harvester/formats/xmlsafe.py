"""The one place where harvested XML bytes become an lxml tree.

Every XML payload a source receives passes through `parse_xml`, so the hostile-input policy
lives here once: no DTD loading, no network, no entity expansion, libxml2's size limits on,
and documents that declare entities refused outright (XXE and entity bombs have no legitimate
use in catalogue records). lxml errors are converted here, so callers only see MoissonError.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from moisson.errors import SourceProtocolError, UnsafeInput

__all__ = ["parse_xml"]

# One parser for the process: building an XMLParser costs more than parsing a small record.
# lxml serialises concurrent use of one parser internally, so sharing it is safe.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)

# A DOCTYPE comes before the root element, after at most a declaration and comments.
_PROLOG_SCAN = 64 * 1024

# libxml2 phrases that mean "a limit protecting us was hit", not "the server sent garbage".
_LIMIT_HINTS = ("huge input", "excessive depth", "amplification", "too large")


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted bytes into the root element.

    The declared encoding is honoured (ISO-8859-1 records are common); a missing declaration
    means UTF-8, and comments before the root (licence headers) are dropped.

    Raises UnsafeInput when the document declares entities (checked on the raw bytes first,
    so a bomb is never handed to libxml2, then on the parsed DTD for encodings such as UTF-16
    that hide the byte pattern) or trips a libxml2 size limit; SourceProtocolError when the
    document is empty or not well-formed, with libxml2's reason and line/column.
    """
    if not data or data.isspace():
        raise SourceProtocolError("not XML: the document is empty")
    # Fast path on the prolog only; the DTD check after parsing is the one that cannot miss.
    doctype = data.find(b"<!DOCTYPE", 0, _PROLOG_SCAN)
    if doctype >= 0 and data.find(b"<!ENTITY", doctype) >= 0:
        raise UnsafeInput(
            "refused XML declaring entities in its DOCTYPE "
            "(external entities / entity expansion: XXE or entity-bomb risk)"
        )
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        reason = str(exc)
        if any(hint in reason.lower() for hint in _LIMIT_HINTS):
            raise UnsafeInput(
                f"refused XML exceeding parser safety limits: {reason}", detail=reason
            ) from exc
        raise SourceProtocolError(f"not well-formed XML: {reason}", detail=reason) from exc
    except ValueError as exc:  # lxml refuses some inputs (e.g. unsupported encodings) this way
        raise SourceProtocolError(f"not parsable XML: {exc}", detail=str(exc)) from exc
    if root is None:
        raise SourceProtocolError("not XML: no root element")
    dtd: Any = root.getroottree().docinfo.internalDTD  # lxml-stubs lack DTD.iterentities
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UnsafeInput(
            "refused XML declaring entities in its DOCTYPE "
            "(external entities / entity expansion: XXE or entity-bomb risk)"
        )
    return root
