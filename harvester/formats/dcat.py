"""DCAT-AP / GeoDCAT-AP graph -> Records (pure: a graph in, Harvested items out).

Every `dcat:Dataset`, `dcat:DatasetSeries` and `dcat:DataService` of the graph becomes one
item. Identity precedence (the record's original id):

1. the subject IRI (DCAT's own identity, stable across harvests);
2. for a blank node, `dct:identifier`, then `adms:identifier/skos:notation`;
3. nothing: quarantined ("blank-node dataset without an identifier"), since a made-up id
   would change on every harvest and duplicate the record each time.

Language: one title and abstract are kept, chosen in the order of `languages` (ISO 639-1,
default fr, en), then untagged literals, then any; 3-letter tags (`fre`, `ger`) count as
their 639-1 equivalents. The raw payload of each item is the dataset's closure (its triples,
its blank nodes, distributions, publisher, contact points, spatial and temporal nodes) as
Turtle with one triple a line (N-Triples syntax, plus Turtle's long strings for multi-line
literals), so `reparse` rebuilds the same record from it alone. The closure is written in a
canonical form (rdf_canonical.py): the same statements give the same bytes on every
harvest, so an unchanged dataset is "unchanged" and keeps its one raw payload.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import ValidationError
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, SKOS
from rdflib.term import Node

from harvester.formats.dcat_mapping import catalog_record, record_from_graph
from harvester.formats.rdf_canonical import canonical_lines
from harvester.formats.rdf_terms import (
    ADMS,
)
from moisson.record import Harvested

__all__ = ["RAW_CONTENT_TYPE", "dataset_nodes", "read_graph", "record_from_graph"]


DCAT_SERIES = URIRef("http://www.w3.org/ns/dcat#DatasetSeries")  # not in rdflib 7.0 DCAT
RAW_CONTENT_TYPE = "text/turtle"  # a dataset's closure, one triple a line

_KINDS = ((DCAT.Dataset, "dataset"), (DCAT_SERIES, "series"), (DCAT.DataService, "service"))


def dataset_nodes(graph: Graph) -> list[tuple[Node, str]]:
    """(node, resource type) for every catalogued resource, in a stable order. A node typed
    both Dataset and DatasetSeries counts once, as a series."""
    found: dict[Node, str] = {}
    for rdf_type, kind in _KINDS:
        for node in graph.subjects(RDF.type, rdf_type):
            if _embedded_service(graph, node):
                continue
            if node not in found or kind == "series":
                found[node] = kind
    return sorted(found.items(), key=lambda item: str(item[0]))


def _embedded_service(graph: Graph, node: Node) -> bool:
    """An untitled or blank-node service described inside a distribution
    (`dcat:accessService`): part of that dataset's links, not a catalogue entry of its own
    (DCAT-AP 3 makes a service's title mandatory, so a blank node has one too)."""
    return next(graph.subjects(DCAT.accessService, node), None) is not None and (
        isinstance(node, BNode) or graph.value(node, DCTERMS.title) is None
    )


def read_graph(
    graph: Graph, source_id: str, languages: tuple[str, ...] = ("fr", "en")
) -> Iterator[Harvested]:
    """One Harvested per dataset/series/service of the graph, lazily (a 50k-dataset dump
    never holds 50k Records at once); a dataset that cannot become a Record is quarantined
    with its reason, the others go on."""
    nodes = dataset_nodes(graph)
    catalogued = {node for node, _ in nodes}
    for node, kind in nodes:
        yield _harvest_one(graph, node, kind, source_id, languages, catalogued)


def _harvest_one(
    graph: Graph,
    node: Node,
    kind: str,
    source_id: str,
    languages: tuple[str, ...],
    catalogued: set[Node],
) -> Harvested:
    raw = closure_triples(graph, node, catalogued)
    original_id = _original_id(graph, node)
    if original_id is None:
        return Harvested(
            original_id=None,
            raw=raw,
            content_type=RAW_CONTENT_TYPE,
            error="blank-node dataset without an identifier (no IRI, dct:identifier or "
            "adms:identifier): it cannot be recognised on the next harvest",
        )
    try:
        record = record_from_graph(graph, node, source_id, original_id, kind, languages)
    except (ValidationError, ValueError) as exc:
        reason = str(exc).splitlines()
        return Harvested(
            original_id=original_id,
            raw=raw,
            content_type=RAW_CONTENT_TYPE,
            error=f"unusable dataset {original_id}: {' '.join(reason[:3])}",
        )
    return Harvested(original_id=original_id, raw=raw, content_type=RAW_CONTENT_TYPE, record=record)


def closure_triples(graph: Graph, node: Node, catalogued: set[Node] | None = None) -> bytes:
    """The dataset's closure (`closure`) as its raw payload, in canonical form (blank nodes
    named after their content, lines sorted), so an unchanged dataset gives the same bytes,
    hash and raw payload on every harvest."""
    return "".join(canonical_lines(closure(graph, node, catalogued), _nt)).encode("utf-8")


def closure(
    graph: Graph, node: Node, catalogued: set[Node] | None = None
) -> list[tuple[Node, Node, Node]]:
    """The dataset's own triples plus those of the nodes it points to (blank nodes at any
    depth; named distributions, agents and places one level down). Other catalogued
    datasets it points to (series members, relations) are not followed: they are records
    of their own."""
    triples: list[tuple[Node, Node, Node]] = []
    seen: set[Node] = {node} | (catalogued or set())
    todo: list[tuple[Node, int]] = [(node, 0)]
    while todo:
        subject, depth = todo.pop()
        for predicate, obj in graph.predicate_objects(subject):
            triples.append((subject, predicate, obj))
            if obj in seen or isinstance(obj, Literal) or predicate == RDF.type:
                continue
            if isinstance(obj, BNode) or depth < 2:
                seen.add(obj)
                todo.append((obj, depth + 1))
    return triples


_IRI_UNSAFE = {ord(c): f"%{ord(c):02X}" for c in ' <>"{}|^`\\'}


def _nt(term: Node) -> str:
    """Turtle form of a term; an IRI with characters Turtle forbids (real catalogues
    publish IRIs with spaces) is percent-encoded rather than failing the record."""
    if isinstance(term, URIRef):
        return "<" + str(term).translate(_IRI_UNSAFE) + ">"
    return term.n3()


# -- identity and literals -------------------------------------------------------------------


def _original_id(graph: Graph, node: Node) -> str | None:
    if isinstance(node, URIRef):
        return str(node)
    for value in graph.objects(node, DCTERMS.identifier):
        if str(value).strip():
            return str(value).strip()
    for adms_id in graph.objects(node, ADMS.identifier):
        for notation in graph.objects(adms_id, SKOS.notation):
            if str(notation).strip():
                return str(notation).strip()
    # GeoDCAT-AP puts the ISO fileIdentifier on the catalogue record.
    record = catalog_record(graph, node)
    if record is not None:
        for value in graph.objects(record, DCTERMS.identifier):
            if str(value).strip():
                return str(value).strip()
    return None
