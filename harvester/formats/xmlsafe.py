"""The one place where harvested XML bytes become an lxml tree.

Every XML payload a source receives passes through `parse_xml`, so the hostile-input policy
lives here once: no DTD loading, no network, no entity expansion, libxml2's size limits on,
and documents that declare entities refused outright (XXE and entity bombs have no legitimate
use in catalogue records). lxml errors are converted here, so callers only see MoissonError.

RDF/XML is different: national DCAT-AP profiles and files saved by ontology editors declare
internal entities to abbreviate namespaces (`<!ENTITY dcat "http://www.w3.org/ns/dcat#">`,
then `rdf:about="&dcat;Dataset"`). `expand_internal_entities` expands those itself, before any
XML parser sees the document, under hard limits, and drops the DOCTYPE; everything else a
DOCTYPE can do is refused with its reason: external entities (SYSTEM / PUBLIC: XXE),
parameter entities, other declarations, recursive definitions, and exponential ones (an
entity naming another more than once, nesting deeper than MAX_ENTITY_DEPTH, a value longer
than MAX_ENTITY_VALUE characters, or a document growing by more than MAX_EXPANSION bytes).
Values are inserted as text (markup in a value is escaped, never parsed).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from moisson.errors import SourceProtocolError, UnsafeInput

__all__ = [
    "MAX_ENTITY_DEPTH",
    "MAX_ENTITY_VALUE",
    "MAX_EXPANSION",
    "expand_internal_entities",
    "parse_xml",
]

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


MAX_ENTITY_VALUE = 4096  # characters of one expanded entity (a namespace URI is < 100)
MAX_ENTITY_DEPTH = 3  # entities naming entities naming entities
MAX_EXPANSION = 8 * 1024 * 1024  # bytes the whole document may grow by
_NAME = re.compile(rb"[A-Za-z_][\w.:-]*")
_REFERENCE = re.compile(rb"&([A-Za-z_][\w.-]*);")
_SPACE = re.compile(rb"\s*")


def _refuse(reason: str) -> UnsafeInput:
    return UnsafeInput(f"refused XML DOCTYPE: {reason}")


def _declarations(data: bytes, start: int) -> tuple[dict[bytes, bytes], int]:
    """(entity name -> raw value, end of the DOCTYPE) of the DOCTYPE at `start`."""
    position = _SPACE.match(data, start + len(b"<!DOCTYPE")).end()
    name = _NAME.match(data, position)
    if name is None:
        raise _refuse("no document type name")
    position = _SPACE.match(data, name.end()).end()
    if data.startswith((b"SYSTEM", b"PUBLIC"), position):
        raise _refuse("an external DTD is named together with entity declarations")
    if not data.startswith(b"[", position):
        raise _refuse("entity declarations outside an internal subset")
    position += 1
    entities: dict[bytes, bytes] = {}
    while True:
        position = _SPACE.match(data, position).end()
        if data.startswith(b"]", position):
            end = _SPACE.match(data, position + 1).end()
            if not data.startswith(b">", end):
                raise _refuse("the internal subset is not closed by ']>'")
            return entities, end + 1
        if data.startswith(b"<!--", position):
            close = data.find(b"-->", position)
            if close < 0:
                raise _refuse("unclosed comment in the internal subset")
            position = close + 3
            continue
        if not data.startswith(b"<!ENTITY", position):
            found = data[position : position + 20].decode("utf-8", "replace")
            raise _refuse(f"only internal entity declarations are accepted, found {found!r}")
        position = _SPACE.match(data, position + len(b"<!ENTITY")).end()
        if data.startswith(b"%", position):
            raise _refuse("parameter entities (<!ENTITY % ...>) are not accepted")
        name = _NAME.match(data, position)
        if name is None:
            raise _refuse("an entity declaration without a name")
        position = _SPACE.match(data, name.end()).end()
        if data.startswith((b"SYSTEM", b"PUBLIC"), position):
            entity = name.group().decode()
            raise _refuse(f"external entity {entity!r} (SYSTEM/PUBLIC): XXE risk")
        quote = data[position : position + 1]
        if quote not in (b'"', b"'"):
            raise _refuse(f"entity {name.group().decode()!r} has no quoted value")
        close = data.find(quote, position + 1)
        if close < 0:
            raise _refuse(f"entity {name.group().decode()!r} has an unclosed value")
        entities.setdefault(name.group(), data[position + 1 : close])
        position = _SPACE.match(data, close + 1).end()
        if not data.startswith(b">", position):
            raise _refuse(f"entity {name.group().decode()!r}: unexpected text after its value")
        position += 1


def _expand_values(raw: dict[bytes, bytes]) -> dict[bytes, bytes]:
    expanded: dict[bytes, bytes] = {}
    depths: dict[bytes, int] = {}  # 0: names no entity

    def expand(name: bytes, chain: tuple[bytes, ...]) -> bytes:
        if name in chain:
            raise _refuse(f"recursive entity {name.decode()!r}")
        if name in expanded:
            return expanded[name]
        value = raw[name]
        names = [m.group(1) for m in _REFERENCE.finditer(value) if m.group(1) in raw]
        if len(names) != len(set(names)):
            raise _refuse(
                f"entity {name.decode()!r} names another entity more than once "
                "(exponential expansion: entity-bomb risk)"
            )
        value = _REFERENCE.sub(
            lambda m: expand(m.group(1), (*chain, name)) if m.group(1) in raw else m.group(0),
            value,
        )
        depths[name] = 1 + max((depths[n] for n in names), default=-1)
        if depths[name] > MAX_ENTITY_DEPTH:
            raise _refuse(f"entities nested deeper than {MAX_ENTITY_DEPTH}: entity-bomb risk")
        if len(value) > MAX_ENTITY_VALUE:
            raise _refuse(f"entity {name.decode()!r} expands beyond {MAX_ENTITY_VALUE} characters")
        expanded[name] = value
        return value

    for name in raw:
        expand(name, ())
    return expanded


def _as_text(value: bytes) -> bytes:
    value = _REFERENCE.sub(lambda m: b"\x00" + m.group(1) + b";", value)  # keep &lt; etc.
    value = value.replace(b"&", b"&amp;").replace(b"\x00", b"&")
    return value.replace(b"<", b"&lt;").replace(b'"', b"&quot;").replace(b"'", b"&apos;")


def expand_internal_entities(data: bytes) -> bytes:
    """The document with its internal general entities expanded and its DOCTYPE removed;
    `data` itself when it declares no entity. Raises UnsafeInput (see the module docstring)."""
    doctype = data.find(b"<!DOCTYPE", 0, _PROLOG_SCAN)
    if doctype < 0 or data.find(b"<!ENTITY", doctype) < 0:
        return data
    raw, end = _declarations(data, doctype)
    values = {name: _as_text(value) for name, value in _expand_values(raw).items()}
    grown = 0

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal grown
        value = values.get(match.group(1))
        if value is None:
            return match.group(0)  # predefined, or undeclared: the parser reports it
        grown += len(value) - len(match.group(0))
        if grown > MAX_EXPANSION:
            raise _refuse(
                f"entity expansion grows the document by more than {MAX_EXPANSION:,} bytes"
            )
        return value

    return data[:doctype] + _REFERENCE.sub(replace, data[end:])
