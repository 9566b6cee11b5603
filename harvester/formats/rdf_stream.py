"""Large DCAT dumps without holding their whole graph: split, index on disk, parse per dataset.

rdflib keeps a parsed graph in memory at about 20-30 times the size of the Turtle or RDF/XML
it came from (bench/bench_dcat_memory.py), so a national 500 MB dump would need > 10 GB.
Above a size threshold the DCAT source reads such documents in two passes instead:

1. split the document into top-level blocks (RDF/XML: the children of rdf:RDF, read with
   lxml iterparse; Turtle: statements, cut at the top-level '.'; N-Triples: runs of lines
   with the same subject), and write each block with its subject and the IRIs / blank-node
   labels it mentions to a temporary SQLite file;
2. for each block that types a dcat:Dataset / DatasetSeries / DataService, gather the blocks
   describing what it points to (distributions, agents, places: up to 3 hops) and the
   blocks pointing at it (its dcat:CatalogRecord), parse just those with rdflib, and map
   that one dataset.

Memory is then the document's bytes plus one dataset's small graph at a time. A block that
does not parse costs only its dataset (quarantined with rdflib's reason), where a whole-graph
parse would lose every dataset of the document. Blocks with a very large fan-out (the
dcat:Catalog listing every dataset) are never pulled into a dataset's closure.
"""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lxml import etree
from rdflib import Graph

from harvester.formats.dcat import read_graph
from harvester.formats.rdf_document import DEFAULT_BASE, HydraPaging, hydra_paging, load_graph
from harvester.formats.xmlsafe import expand_internal_entities
from harvester.library_warnings import captured
from moisson.errors import SourceProtocolError, UnsafeInput
from moisson.record import Harvested

__all__ = ["stream_dcat"]

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCAT_NS = "http://www.w3.org/ns/dcat#"
_DATASET_CLASSES = {DCAT_NS + c for c in ("Dataset", "DatasetSeries", "DataService")}
_CATALOG = DCAT_NS + "Catalog"
MAX_FANOUT = 200  # references above which a block is a listing, not a description
HOPS = 3

Block = tuple[str | None, bool, bytes, set[str]]  # subject, is dataset, body, references

# -- RDF/XML -------------------------------------------------------------------------------


def _xml_blocks(data: bytes) -> tuple[bytes, bytes, Iterator[Block]]:
    """(opening rdf:RDF tag, closing tag, blocks) of an RDF/XML document."""
    context = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    root: etree._Element | None = None
    depth = 0
    head = b""

    def blocks() -> Iterator[Block]:
        nonlocal root, depth, head
        try:
            for event, element in context:
                if event == "start":
                    depth += 1
                    continue
                depth -= 1
                if depth != 1:
                    continue
                yield _xml_block(element)
                element.clear()
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            raise SourceProtocolError(f"not well-formed RDF/XML: {exc}") from exc

    # Read up to the root's start to build the wrapper every block is parsed in.
    for _event, element in context:
        depth += 1
        root = element
        break
    if root is None or root.tag != f"{{{RDF_NS}}}RDF":
        raise SourceProtocolError("RDF/XML without an rdf:RDF root cannot be streamed")
    namespaces = {"rdf": RDF_NS, **root.nsmap}
    declarations = " ".join(
        f'xmlns:{prefix}="{uri}"' if prefix else f'xmlns="{uri}"'
        for prefix, uri in namespaces.items()
    )
    base = root.get("{http://www.w3.org/XML/1998/namespace}base")
    base_attr = f' xml:base="{base}"' if base else ""
    head = f"<rdf:RDF {declarations}{base_attr}>".encode()
    return head, b"</rdf:RDF>", blocks()


def _xml_block(element: etree._Element) -> Block:
    subject = element.get(f"{{{RDF_NS}}}about") or (
        "_:" + element.get(f"{{{RDF_NS}}}nodeID", "")
        if element.get(f"{{{RDF_NS}}}nodeID")
        else None
    )
    own = {_clark(element.tag)}  # this element's classes
    nested: set[str] = set()  # classes of nodes nested in it
    references: set[str] = set()
    rdf_type = f"{{{RDF_NS}}}type"
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        nested.add(_clark(node.tag))
        resource = node.get(f"{{{RDF_NS}}}resource")
        node_id = node.get(f"{{{RDF_NS}}}nodeID")
        if resource:
            references.add(resource)
            if node.tag == rdf_type:
                (own if node.getparent() is element else nested).add(resource)
        if node_id and node is not element:
            references.add("_:" + node_id)
    references.discard(subject or "")
    # A dataset, or a catalogue holding its datasets inline (read whole, like a small file).
    is_dataset = bool(own & _DATASET_CLASSES) or (
        _CATALOG in own and bool(nested & _DATASET_CLASSES)
    )
    if _CATALOG in own and not is_dataset:
        references = set()  # a listing of datasets is never part of a dataset's closure
    return subject, is_dataset, etree.tostring(element), references


def _clark(tag: str) -> str:
    return tag.replace("{", "").replace("}", "")


# -- Turtle and N-Triples --------------------------------------------------------------------

_DIRECTIVE = re.compile(rb"\s*(@prefix|@base|PREFIX|BASE)\b", re.IGNORECASE)
_SIGNIFICANT = re.compile(rb'"""|\'\'\'|"|\'|<|#|\[|\]|\(|\)|\.(?=\s|$)')
_IRI = re.compile(rb"<([^>\s]*)>")
_PNAME = re.compile(rb"(?<![\w<\"'])([A-Za-z][\w.-]*)?:((?:[\w-]|\.(?=[\w-]))*)")
_BNODE = re.compile(rb"_:([\w.-]*\w)")
# The first type statement of a block: its subject's classes (serialisers write `a` first).
_FIRST_TYPE = re.compile(
    rb"\s(?:a|rdf:type|<http://www\.w3\.org/1999/02/22-rdf-syntax-ns#type>)\s+([^;\[\]]+?)\s*[;.\]]"
)
_PREFIX_DECL = re.compile(rb"(?:@prefix|PREFIX)\s+([\w.-]*):\s*<([^>]*)>", re.IGNORECASE)


def _turtle_statements(data: bytes) -> Iterator[bytes]:
    """Top-level statements and directives, cut at the '.' outside strings, IRIs, comments
    and brackets."""
    position, start, depth, size = 0, 0, 0, len(data)
    while position < size:
        found = _SIGNIFICANT.search(data, position)
        if found is None:
            break
        token, position = found.group(0), found.end()
        if token in (b'"""', b"'''", b'"', b"'"):
            position = _end_of_string(data, position, token)
        elif token == b"<":
            end = data.find(b">", position)
            position = size if end < 0 else end + 1
        elif token == b"#":
            end = data.find(b"\n", position)
            position = size if end < 0 else end + 1
        elif token in (b"[", b"("):
            depth += 1
        elif token in (b"]", b")"):
            depth = max(0, depth - 1)
        elif depth == 0:  # a statement-ending '.'
            yield data[start:position]
            start = position
    tail = data[start:].strip()
    if tail:
        yield tail


def _end_of_string(data: bytes, position: int, quote: bytes) -> int:
    while True:
        end = data.find(quote, position)
        if end < 0:
            return len(data)
        backslashes = 0
        while data[end - 1 - backslashes] == 0x5C:  # '\\'
            backslashes += 1
        if backslashes % 2 == 0:
            return end + len(quote)
        position = end + 1


def _expand(prefixes: dict[bytes, bytes], token: re.Match[bytes]) -> str | None:
    namespace = prefixes.get(token.group(1) or b"")
    if namespace is None:
        return None
    return (namespace + (token.group(2) or b"")).decode("utf-8", "replace")


def _turtle_blocks(data: bytes) -> tuple[bytes, bytes, Iterator[Block]]:
    prefixes: dict[bytes, bytes] = {}
    directives: list[bytes] = []
    statements: list[bytes] = []
    for statement in _turtle_statements(data):
        if _DIRECTIVE.match(statement):
            directives.append(statement.strip())
            for name, uri in _PREFIX_DECL.findall(statement):
                prefixes[name] = uri
        else:
            statements.append(statement)
    head = b"\n".join(directives) + b"\n"

    def blocks() -> Iterator[Block]:
        for statement in statements:
            yield _turtle_block(statement, prefixes)

    return head, b"", blocks()


def _turtle_block(statement: bytes, prefixes: dict[bytes, bytes]) -> Block:
    text = statement.strip()
    references = {m.decode("utf-8", "replace") for m in _IRI.findall(text)}
    references |= {"_:" + m.decode() for m in _BNODE.findall(text)}
    for match in _PNAME.finditer(text):
        expanded = _expand(prefixes, match)
        if expanded:
            references.add(expanded)
    subject: str | None = None
    if text.startswith(b"<"):
        subject = text[1 : text.find(b">")].decode("utf-8", "replace")
    elif text.startswith(b"_:"):
        found = _BNODE.match(text)
        subject = "_:" + found.group(1).decode() if found else None
    else:
        found = _PNAME.match(text)
        subject = _expand(prefixes, found) if found else None
    first_types = _FIRST_TYPE.search(text)
    classes: set[str] = set()
    if first_types is not None:
        listed = first_types.group(1)
        classes = {m.decode("utf-8", "replace") for m in _IRI.findall(listed)}
        classes |= {e for m in _PNAME.finditer(listed) if (e := _expand(prefixes, m))}
    is_dataset = bool(classes & _DATASET_CLASSES) or (
        _CATALOG in classes and bool(references & _DATASET_CLASSES)
    )
    if not is_dataset and (_CATALOG in references or len(references) > MAX_FANOUT):
        references = set()
    references.discard(subject or "")
    return subject, is_dataset, statement, references


# -- the two passes -------------------------------------------------------------------------


def stream_dcat(
    data: bytes, syntax: str, source_id: str, languages: tuple[str, ...], base: str | None
) -> tuple[Iterator[Harvested], HydraPaging]:
    """Items and paging of a large document, one dataset's graph at a time. Raises
    SourceProtocolError when the document cannot even be split."""
    if syntax == "xml":
        head, tail, blocks = _xml_blocks(expand_internal_entities(data))
        rdf_format = "xml"
    elif syntax in ("turtle", "nt"):
        head, tail, blocks = _turtle_blocks(data)
        rdf_format = "turtle"
    else:
        raise SourceProtocolError(f"{syntax} documents are not streamed")
    directory = tempfile.TemporaryDirectory(prefix="moisson-dcat-")
    db = sqlite3.connect(Path(directory.name) / "blocks.db")
    db.executescript(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
        "CREATE TABLE blocks (id INTEGER PRIMARY KEY, subject TEXT, dataset INT, body BLOB);"
        "CREATE TABLE refs (block INT, target TEXT);"
    )
    paging_parts: list[bytes] = []
    try:
        for subject, is_dataset, body, references in blocks:
            cursor = db.execute(
                "INSERT INTO blocks (subject, dataset, body) VALUES (?, ?, ?)",
                (subject, int(is_dataset), body),
            )
            db.executemany(
                "INSERT INTO refs VALUES (?, ?)", ((cursor.lastrowid, r) for r in references)
            )
            if b"hydra" in body:
                paging_parts.append(body)
        db.executescript(
            "CREATE INDEX blocks_subject ON blocks (subject); CREATE INDEX refs_block ON refs "
            "(block); CREATE INDEX refs_target ON refs (target);"
        )
    except BaseException:
        db.close()
        directory.cleanup()
        raise
    paging = HydraPaging()
    if paging_parts:
        with contextlib.suppress(SourceProtocolError, UnsafeInput):
            paging = hydra_paging(load_graph(head + b"\n".join(paging_parts) + tail, None, base))

    def items() -> Iterator[Harvested]:
        done: set[str] = set()
        try:
            rows = db.execute("SELECT id, subject FROM blocks WHERE dataset = 1 ORDER BY id")
            for block_id, subject in rows.fetchall():
                for item in _dataset_items(
                    db, block_id, subject, head, tail, rdf_format, source_id, languages, base
                ):
                    if item.original_id is not None:
                        if item.original_id in done:
                            continue
                        done.add(item.original_id)
                    yield item
        finally:
            db.close()
            directory.cleanup()

    return items(), paging


def _closure(db: sqlite3.Connection, block_id: int, subject: str | None) -> list[int]:
    chosen = [block_id]
    seen = {block_id}
    frontier = [block_id]
    for _ in range(HOPS):
        targets = [
            t
            for (t,) in db.execute(
                f"SELECT target FROM refs WHERE block IN ({','.join('?' * len(frontier))})",
                frontier,
            )
        ]
        frontier = []
        for start in range(0, len(targets), 500):
            chunk = targets[start : start + 500]
            for (found,) in db.execute(
                f"SELECT id FROM blocks WHERE dataset = 0 AND subject IN "
                f"({','.join('?' * len(chunk))})",
                chunk,
            ):
                if found not in seen:
                    seen.add(found)
                    chosen.append(found)
                    frontier.append(found)
        if not frontier:
            break
    if subject:  # catalogue records point at their dataset (foaf:primaryTopic)
        for (found,) in db.execute(
            "SELECT refs.block FROM refs JOIN blocks ON blocks.id = refs.block "
            "WHERE refs.target = ? AND blocks.dataset = 0",
            (subject,),
        ):
            if found not in seen:
                seen.add(found)
                chosen.append(found)
    return sorted(chosen)


def _dataset_items(
    db: sqlite3.Connection,
    block_id: int,
    subject: str | None,
    head: bytes,
    tail: bytes,
    rdf_format: str,
    source_id: str,
    languages: tuple[str, ...],
    base: str | None,
) -> Iterator[Harvested]:
    ids = _closure(db, block_id, subject)
    bodies = [
        body
        for (body,) in db.execute(
            f"SELECT body FROM blocks WHERE id IN ({','.join('?' * len(ids))}) ORDER BY id", ids
        )
    ]
    document = head + b"\n".join(bodies) + b"\n" + tail
    graph = Graph()
    try:
        with captured(source_id, subject or base or "document"):
            graph.parse(data=document, format=rdf_format, publicID=base or DEFAULT_BASE)
    except Exception as exc:  # rdflib raises many unrelated types
        own = db.execute("SELECT body FROM blocks WHERE id = ?", (block_id,)).fetchone()[0]
        yield Harvested(
            original_id=subject if subject and not subject.startswith("_:") else None,
            raw=bytes(own)[:1_000_000],
            content_type="text/turtle" if rdf_format == "turtle" else "application/rdf+xml",
            error=f"dataset not readable as RDF: {str(exc)[:300]}",
        )
        return
    yield from read_graph(graph, source_id, languages)
