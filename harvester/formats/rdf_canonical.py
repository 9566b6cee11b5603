"""One canonical text form of a small set of triples: the same statements, the same bytes.

A dataset's raw payload is its closure written out as triples, and the store keys raw
payloads (and decides "unchanged") by their hash. rdflib names blank nodes afresh on every
parse, and its triple order follows the document, so writing the closure as parsed gives new
bytes on every harvest of an unchanged catalogue: every record "updated", a new raw row each
run. Here each blank node is named after what it says instead: a hash of its own
statements (the blank nodes it points to by their names, recursively) and of the named
subjects that point to it; the lines are sorted. This is linear in the closure and covers
tree-shaped descriptions, which is what DCAT closures are. When that cannot tell two blank
nodes apart (two identical descriptions, or blank nodes pointing at each other in a cycle),
rdflib's complete canonicalisation (`rdflib.compare`, RGDA1) names them: slower, but exact.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from rdflib import BNode, Graph
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

__all__ = ["Triple", "canonical_lines"]

Triple = tuple[Node, Node, Node]
Render = Callable[[Node], str]


class _Undecided(Exception):
    """Hash naming cannot name these blank nodes uniquely (a tie or a cycle)."""


def canonical_lines(triples: Iterable[Triple], render: Render) -> list[str]:
    """Sorted, de-duplicated `subject predicate object .` lines with blank nodes named
    canonically; `render` writes every other term (an IRI or a literal)."""
    unique = list(dict.fromkeys(triples))
    rendered: dict[Node, str] = {}

    def written(node: Node) -> str:  # each term is written several times: once is enough
        text = rendered.get(node)
        if text is None:
            text = rendered[node] = render(node)
        return text

    try:
        names = _hash_names(unique, written)
    except _Undecided:
        unique, names = _rdflib_names(unique)

    def term(node: Node) -> str:
        return f"_:{names[node]}" if isinstance(node, BNode) else written(node)

    return sorted({f"{term(s)} {term(p)} {term(o)} .\n" for s, p, o in unique})


def _hash_names(triples: list[Triple], render: Render) -> dict[Node, str]:
    outgoing: dict[Node, list[tuple[Node, Node]]] = defaultdict(list)
    named_incoming: dict[Node, list[str]] = defaultdict(list)
    blanks: set[Node] = set()
    for s, p, o in triples:
        if isinstance(s, BNode):
            blanks.add(s)
            outgoing[s].append((p, o))
        if isinstance(o, BNode):
            blanks.add(o)
            if not isinstance(s, BNode):
                named_incoming[o].append(f"{render(s)} {render(p)}")
    names: dict[Node, str] = {}
    for blank in sorted(blanks, key=str):
        _name_from(blank, outgoing, named_incoming, names, render)
    if len(set(names.values())) != len(names):
        names = _refine(names, triples)
    return names


def _name_from(
    start: Node,
    outgoing: dict[Node, list[tuple[Node, Node]]],
    named_incoming: dict[Node, list[str]],
    names: dict[Node, str],
    render: Render,
) -> None:
    """Name `start` and the blank nodes below it, children first (an explicit stack: RDF
    lists nest blank nodes deeper than Python's recursion limit)."""
    if start in names:
        return
    on_path: set[Node] = {start}
    stack: list[Node] = [start]
    while stack:
        node = stack[-1]
        pending = [o for _, o in outgoing[node] if isinstance(o, BNode) and o not in names]
        if pending:
            child = pending[0]
            if child in on_path:
                raise _Undecided("a cycle of blank nodes")
            on_path.add(child)
            stack.append(child)
            continue
        parts = sorted(
            f"{render(p)} {'_:' + names[o] if isinstance(o, BNode) else render(o)}"
            for p, o in outgoing[node]
        )
        parts += sorted(f"<- {text}" for text in named_incoming[node])
        names[node] = _digest(parts)
        stack.pop()
        on_path.discard(node)


def _refine(names: dict[Node, str], triples: list[Triple]) -> dict[Node, str]:
    """Tell apart blank nodes that say the same thing by where they hang (one address node
    under each of three contact points that differ): each round renames every blank node
    after its name and its blank neighbours' names, until the count of distinct names stops
    growing (colour refinement). Nodes still tied are then interchangeable copies (three
    identical contact points of one dataset) when every blank node hangs from one place
    only, a tree: one of them is singled out and the refinement goes on, and whichever is
    picked, the lines come out the same. A tie in any other shape goes to rdflib."""
    pairs: list[Triple] = [
        (s, p, o) for s, p, o in triples if isinstance(s, BNode) and isinstance(o, BNode)
    ]
    referenced = [o for _, _, o in triples if isinstance(o, BNode)]
    tree = len(referenced) == len(set(referenced))
    while True:
        names = _colour_refinement(names, pairs)
        counts = Counter(names.values())
        tied = sorted(name for name, count in counts.items() if count > 1)
        if not tied:
            return names
        if not tree:
            raise _Undecided("blank nodes that neither content nor place tell apart")
        chosen = min((node for node, name in names.items() if name == tied[0]), key=str)
        names = {**names, chosen: _digest([names[chosen], "singled out"])}


def _colour_refinement(names: dict[Node, str], pairs: list[Triple]) -> dict[Node, str]:
    distinct = len(set(names.values()))
    while True:
        links: dict[Node, list[str]] = defaultdict(list)
        for s, p, o in pairs:
            links[s].append(f"-> {p} {names[o]}")
            links[o].append(f"<- {p} {names[s]}")
        renamed = {node: _digest([name, *sorted(links[node])]) for node, name in names.items()}
        now = len(set(renamed.values()))
        if now <= distinct:
            return names
        names, distinct = renamed, now


def _digest(parts: list[str]) -> str:
    return "b" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _rdflib_names(triples: list[Triple]) -> tuple[list[Triple], dict[Node, str]]:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    canonical = list(to_canonical_graph(graph))
    names: dict[Node, str] = {
        node: str(node)
        for triple in canonical
        for node in (triple[0], triple[2])
        if isinstance(node, BNode)
    }
    return canonical, names
