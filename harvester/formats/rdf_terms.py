"""Reading RDF terms the way catalogue mappers need them: one literal in the preferred
language, a label for a node whatever vocabulary names it, an IRI's local name, a date.
Pure helpers over an rdflib graph, shared by the DCAT mappers."""

from __future__ import annotations

from datetime import date
from typing import Any

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDFS, SKOS
from rdflib.term import Node

from harvester.formats.normalise import normalise_language, one_line, parse_date

__all__ = [
    "ADMS",
    "LOCN",
    "SCHEMA",
    "TIME",
    "VCARD",
    "date_of",
    "lang_rank",
    "literal_text",
    "local_name",
    "node_label",
    "node_value",
]

ADMS = Namespace("http://www.w3.org/ns/adms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SCHEMA = Namespace("http://schema.org/")
TIME = Namespace("http://www.w3.org/2006/time#")
_LABELS = (SKOS.prefLabel, RDFS.label, DCTERMS.title, FOAF.name, VCARD.fn)


def lang_rank(literal: Literal, languages: tuple[str, ...]) -> int:
    lang = (literal.language or "").lower()
    if not lang:
        return len(languages)
    code = lang.split("-")[0]
    for index, wanted in enumerate(languages):
        if code == wanted or normalise_language(code) == normalise_language(wanted):
            return index
    return len(languages) + 1


def literal_text(
    graph: Graph, node: Node, predicate: Any, languages: tuple[str, ...]
) -> str | None:
    literals = [v for v in graph.objects(node, predicate) if isinstance(v, Literal)]
    literals = [v for v in literals if str(v).strip()]
    if not literals:
        return None
    return str(min(literals, key=lambda lit: (lang_rank(lit, languages), str(lit))))


def node_label(graph: Graph, node: Node, languages: tuple[str, ...]) -> str | None:
    if isinstance(node, Literal):
        return one_line(str(node))
    for predicate in _LABELS:
        text = literal_text(graph, node, predicate, languages)
        if text:
            return one_line(text)
    return None


def local_name(uri: str) -> str:
    return uri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def node_value(graph: Graph, node: Node, languages: tuple[str, ...]) -> str | None:
    """An IRI as its IRI, a literal as its text, a blank node by its label or rdf:value."""
    if isinstance(node, URIRef):
        return str(node)
    if isinstance(node, Literal):
        return one_line(str(node))
    return node_label(graph, node, languages) or literal_text(graph, node, RDF.value, languages)


def date_of(graph: Graph, node: Node, predicate: Any) -> date | None:
    for value in graph.objects(node, predicate):
        found = parse_date(str(value))
        if found:
            return found
    return None
