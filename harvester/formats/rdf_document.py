"""Bytes to an rdflib Graph: choose the RDF syntax, refuse hostile input, read hydra paging.

The syntax comes from the content type when it names an RDF one, else from the first bytes
(servers and file names lie: Turtle served as text/plain, RDF/XML as application/octet-
stream, JSON-LD as application/json). When the declared syntax fails, the sniffed one is
tried before giving up, so a wrong content type still parses. rdflib errors are converted
here into SourceProtocolError; internal XML entities are expanded under limits and other
DTD tricks refused (formats/xmlsafe.py, UnsafeInput).
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from harvester.formats import jsonsafe
from harvester.formats.xmlsafe import expand_internal_entities
from moisson.errors import SourceProtocolError, UnsafeInput

# No title, abstract or lineage needs a million characters; a literal that long is an attack
# or a broken export, and would be copied into every record built from it.
MAX_LITERAL = 1_000_000

__all__ = ["HYDRA", "HydraPaging", "hydra_paging", "load_graph", "sniff_syntax"]

logger = logging.getLogger(__name__)

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")

_CONTENT_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "text/n3": "n3",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
_TURTLE_START = re.compile(rb"^\s*(@prefix|@base|PREFIX|BASE|<[^>\s]*>\s*<|[A-Za-z0-9_-]*:\S*\s)")
_NT_LINE = re.compile(rb"^\s*(<[^>\s]+>|_:\S+)\s+<[^>\s]+>\s+\S.*\.\s*$")
_PROLOG_SCAN = 64 * 1024
_RDF_NS = b"http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# Relative IRIs of a document read without a URL resolve against this, never against the
# working directory (rdflib's default), so ids do not depend on where the process runs.
DEFAULT_BASE = "http://relative.invalid/"


def _from_content_type(content_type: str | None) -> str | None:
    media = (content_type or "").split(";")[0].strip().lower()
    return _CONTENT_TYPES.get(media)


def sniff_syntax(data: bytes) -> str | None:
    """The rdflib format name the first bytes suggest, or None."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "json-ld"
    if head.startswith(b"<?xml") or head.startswith(b"<rdf:RDF") or head.startswith(b"<!--"):
        return "xml"
    if head.startswith(b"<") and re.match(rb"<[A-Za-z_][\w.-]*(:[\w.-]+)?[\s>]", head):
        return "xml"
    first_line = head.split(b"\n", 1)[0]
    if _NT_LINE.match(first_line):
        return "nt"
    if _TURTLE_START.match(head) or head.startswith(b"#"):
        return "turtle"
    return None


def _refuse_huge_literals(graph: Graph) -> None:
    for value in graph.objects():
        if isinstance(value, Literal) and len(value) > MAX_LITERAL:
            raise UnsafeInput(
                f"refused RDF holding a literal of {len(value):,} characters "
                f"(more than {MAX_LITERAL:,}: not a catalogue description)"
            )


def load_graph(data: bytes, content_type: str | None = None, base: str | None = None) -> Graph:
    """Parse an RDF document; the syntax from the content type, then from sniffing.

    Raises SourceProtocolError when no RDF syntax reads it, UnsafeInput on external,
    parameter, recursive or exponential entity declarations (formats/xmlsafe.py) or on a
    literal longer than MAX_LITERAL characters.
    """
    if not data or data.isspace():
        raise SourceProtocolError("not RDF: the document is empty")
    data = expand_internal_entities(data)  # namespace abbreviations; XXE and bombs refused
    candidates: list[str] = []
    for syntax in (_from_content_type(content_type), sniff_syntax(data)):
        if syntax and syntax not in candidates:
            candidates.append(syntax)
    if not candidates:
        candidates = ["turtle", "xml", "json-ld"]
    reasons: list[str] = []
    for syntax in candidates:
        if syntax == "xml" and _RDF_NS not in data[:_PROLOG_SCAN]:
            reasons.append("xml: no RDF namespace (an HTML or other XML page)")
            continue
        graph = Graph()
        try:
            source = _local_json_ld(data) if syntax == "json-ld" else data
            with warnings.catch_warnings():
                # rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph internally.
                warnings.simplefilter("ignore", DeprecationWarning)
                graph.parse(data=source, format=syntax, publicID=base or DEFAULT_BASE)
        except Exception as exc:  # rdflib raises many unrelated types (SAX, BadSyntax, JSON)
            reasons.append(f"{syntax}: {str(exc)[:300]}")
            continue
        if len(graph) == 0:
            reasons.append(f"{syntax}: no triples")
            continue
        if syntax != candidates[0]:
            logger.info("content type %r was wrong: parsed as %s", content_type, syntax)
        _refuse_huge_literals(graph)
        return graph
    raise SourceProtocolError(
        f"not readable as RDF ({'; '.join(reasons)})", detail="\n".join(reasons)
    )


def _drop_remote_contexts(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "@context":
                if isinstance(item, str):
                    continue
                if isinstance(item, list):
                    item = [c for c in item if not isinstance(c, str)]
            out[key] = _drop_remote_contexts(item)
        return out
    if isinstance(value, list):
        return [_drop_remote_contexts(item) for item in value]
    return value


def _local_json_ld(data: bytes) -> bytes:
    """JSON-LD without its remote @context references: rdflib would fetch them, and a
    harvester must not reach out to whatever hosts a document names (no network beyond the
    source, no SSRF). Documents in expanded form, the common DCAT export, lose nothing."""
    try:
        document = jsonsafe.loads(data, what="the JSON-LD document")
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    return json.dumps(_drop_remote_contexts(document)).encode()


@dataclass
class HydraPaging:
    next_url: str | None = None
    total: int | None = None


def _value(node: Node | None) -> str | None:
    if isinstance(node, (URIRef, Literal)):
        text = str(node).strip()
        return text or None
    return None


def hydra_paging(graph: Graph) -> HydraPaging:
    """The next page and the declared total of a paged catalogue: hydra PartialCollectionView
    (`hydra:view` / `hydra:next`, `hydra:totalItems`) or the legacy PagedCollection
    (`hydra:nextPage`). The link may be an IRI or a literal (udata writes both)."""
    paging = HydraPaging()
    for predicate in (HYDRA.next, HYDRA.nextPage):
        for value in graph.objects(None, predicate):
            paging.next_url = paging.next_url or _value(value)
    for value in graph.objects(None, HYDRA.totalItems):
        number = _to_int(value)
        if number is not None:
            paging.total = number
    return paging


def _to_int(node: Any) -> int | None:
    try:
        return int(str(node).strip())
    except ValueError:
        return None
