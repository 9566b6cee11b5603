"""The canonical form of a dataset's closure: same statements, same bytes, nothing lost."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from harvester.dcat import read_dcat_file
from harvester.formats.dcat import closure, closure_triples, dataset_nodes
from harvester.formats.rdf_canonical import canonical_lines
from harvester.formats.rdf_document import load_graph
from tests.conftest import SHARED_FIXTURES

DCAT_DIR = SHARED_FIXTURES / "dcat"
# Real documents with blank nodes in every shape met so far: nested distributions and
# contacts, three identical contact addresses (cz), identical prov activities, RDF/XML,
# JSON-LD and Turtle.
DOCUMENTS = [
    "semic/cz_cuzk_multilingual_service.geodcatap.ttl",
    "semic/inspire_dataset_2.0_example.geodcatap.ttl",
    "udata/bnodes.xml",
    "udata/bnodes.jsonld",
    "udata/datara_geodcatap_f40c3860.rdf.xml",
    "geonetwork/dcat_feed_mow_vlaanderen.rdf",
]
EX = "http://example.org/"


def n3(term: object) -> str:
    return term.n3()  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_two_parses_give_the_same_raw_bytes(shared_fixtures: Path, name: str) -> None:
    data = (DCAT_DIR / name).read_bytes()
    first = read_dcat_file(data, None, "t", name=name)
    second = read_dcat_file(data, None, "t", name=name)
    assert [i.raw for i in first] == [i.raw for i in second]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_order_of_the_triples_does_not_matter(shared_fixtures: Path, name: str) -> None:
    graph = load_graph((DCAT_DIR / name).read_bytes())
    triples = list(graph)
    expected = canonical_lines(triples, n3)
    for seed in range(3):
        random.Random(seed).shuffle(triples)
        # Re-labelled blank nodes too, as another parse would give them.
        fresh = {b: BNode() for t in triples for b in (t[0], t[2]) if isinstance(b, BNode)}
        shuffled = [(fresh.get(s, s), p, fresh.get(o, o)) for s, p, o in triples]
        assert canonical_lines(shuffled, n3) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_raw_payload_says_what_the_closure_says(shared_fixtures: Path, name: str) -> None:
    graph = load_graph((DCAT_DIR / name).read_bytes())
    for node, _ in dataset_nodes(graph):
        triples = closure(graph, node)
        original = Graph()
        for triple in triples:
            original.add(triple)
        raw = closure_triples(graph, node)
        again = Graph().parse(data=raw, format="turtle")
        assert len(again) == len(original)
        assert isomorphic(again, original)


def test_identical_blank_nodes_under_different_parents_stay_apart() -> None:
    # Two distributions, each with its own (identical) format node: merging them would
    # drop a triple; the raw keeps both.
    g = Graph()
    ds = URIRef(EX + "ds")
    for title in ("a", "b"):
        dist, fmt = BNode(), BNode()
        g.add((ds, URIRef(EX + "distribution"), dist))
        g.add((dist, URIRef(EX + "title"), Literal(title)))
        g.add((dist, URIRef(EX + "format"), fmt))
        g.add((fmt, URIRef(EX + "label"), Literal("CSV")))
    lines = canonical_lines(list(g), n3)
    assert len(lines) == len(g) == 8
    assert isomorphic(Graph().parse(data="".join(lines), format="turtle"), g)


def test_a_cycle_of_blank_nodes_is_still_canonical() -> None:
    def cycle() -> list[tuple[object, object, object]]:
        a, b = BNode(), BNode()
        return [
            (URIRef(EX + "ds"), URIRef(EX + "p"), a),
            (a, URIRef(EX + "next"), b),
            (b, URIRef(EX + "next"), a),
        ]

    assert canonical_lines(cycle(), n3) == canonical_lines(cycle(), n3)  # type: ignore[arg-type]
    assert len(canonical_lines(cycle(), n3)) == 3  # type: ignore[arg-type]


def test_a_long_rdf_list_does_not_exhaust_the_stack() -> None:
    def listed() -> Graph:
        g = Graph()
        head = BNode()
        Collection(g, head, [Literal(i) for i in range(5000)])
        g.add((URIRef(EX + "ds"), URIRef(EX + "items"), head))
        return g

    assert canonical_lines(list(listed()), n3) == canonical_lines(list(listed()), n3)
