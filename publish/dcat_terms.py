"""DCAT-AP vocabulary for publish/dcat.py: namespaces, the EU authority tables Moisson
uses, and the small node builders (literals, IRIs, agents, vCards, SKOS concepts).

Every node gets its rdf:type explicitly: the DCAT-AP SHACL shapes check classes without
RDFS inference (`sh:class vcard:Kind` on a vcard:Organization needs both types).
"""

from __future__ import annotations

from datetime import date

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, SKOS, XSD

from moisson.record import BBox, Contact

__all__ = [
    "ADMS",
    "DCATAP",
    "EU_LANGUAGE",
    "EU_THEMES",
    "EU_THEME_LABELS",
    "GSP",
    "HYDRA",
    "ISO3",
    "LOCN",
    "SERVICE_TYPES",
    "VCARD",
    "agent",
    "bind_prefixes",
    "concept",
    "contact_point",
    "date_literal",
    "iri",
    "publishable",
    "text_literal",
    "wkt",
]

ADMS = Namespace("http://www.w3.org/ns/adms#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
EU_THEMES = URIRef("http://publications.europa.eu/resource/authority/data-theme")
SERVICE_TYPES = {
    "OGC:WMS": "http://www.opengis.net/def/serviceType/ogc/wms",
    "OGC:WFS": "http://www.opengis.net/def/serviceType/ogc/wfs",
    "OGC:WMTS": "http://www.opengis.net/def/serviceType/ogc/wmts",
    "OGC:WCS": "http://www.opengis.net/def/serviceType/ogc/wcs",
}
ISO3 = {"fr": "FRA", "en": "ENG", "de": "DEU", "it": "ITA", "es": "SPA", "nl": "NLD"}
ISO3 |= {"pt": "POR", "cs": "CES", "el": "ELL", "pl": "POL", "sv": "SWE", "da": "DAN"}
ISO3 |= {"fi": "FIN"}
_EU = "http://publications.europa.eu/resource/authority/data-theme/"
EU_THEME_LABELS = {  # the EU data-theme authority's English labels
    _EU + "AGRI": "Agriculture, fisheries, forestry and food",
    _EU + "ECON": "Economy and finance",
    _EU + "EDUC": "Education, culture and sport",
    _EU + "ENER": "Energy",
    _EU + "ENVI": "Environment",
    _EU + "GOVE": "Government and public sector",
    _EU + "HEAL": "Health",
    _EU + "INTR": "International issues",
    _EU + "JUST": "Justice, legal system and public safety",
    _EU + "OP_DATPRO": "Provisional data",
    _EU + "REGI": "Regions and cities",
    _EU + "SOCI": "Population and society",
    _EU + "TECH": "Science and technology",
    _EU + "TRAN": "Transport",
}


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, namespace in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("prov", PROV),
        ("skos", SKOS),
        ("adms", ADMS),
        ("locn", LOCN),
        ("gsp", GSP),
        ("vcard", VCARD),
        ("dcatap", DCATAP),
        ("hydra", HYDRA),
    ):
        graph.bind(prefix, namespace, override=True)
    return graph


def text_literal(value: str, lang: str | None) -> Literal:
    return Literal(value, lang=lang) if lang else Literal(value)


def date_literal(value: date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


def iri(value: str) -> URIRef | None:
    """An IRI rdflib can serialise, or None (spaces, quotes and the like in a harvested
    'URL' would break N-Triples and Turtle output)."""
    value = value.strip()
    if not value.startswith(("http://", "https://", "ftp://", "mailto:", "urn:")):
        return None
    if any(ch in value for ch in ' <>"{}|\\^`\n\t'):
        return None
    return URIRef(value)


def publishable(url: str) -> bool:
    """Whether a link's URL can be an RDF IRI (others are left out of the DCAT output)."""
    return iri(url) is not None


def wkt(box: BBox) -> Literal:
    w, s, e, n = box.as_list()
    ring = f"{w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}"
    return Literal(f"POLYGON(({ring}))", datatype=GSP.wktLiteral)


def agent(graph: Graph, contact: Contact) -> BNode:
    agent = BNode()
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.add((agent, FOAF.name, Literal(contact.organisation or contact.name or contact.email)))
    if contact.email and iri(f"mailto:{contact.email}"):
        graph.add((agent, FOAF.mbox, URIRef(f"mailto:{contact.email}")))
    return agent


def contact_point(graph: Graph, contact: Contact) -> BNode:
    card = BNode()
    graph.add((card, RDF.type, VCARD.Kind))  # the class DCAT-AP checks (no RDFS inference)
    graph.add((card, RDF.type, VCARD.Organization if contact.organisation else VCARD.Individual))
    graph.add((card, VCARD.fn, Literal(contact.name or contact.organisation or contact.email)))
    if contact.organisation:
        graph.add((card, VCARD["organization-name"], Literal(contact.organisation)))
    if contact.email and iri(f"mailto:{contact.email}"):
        graph.add((card, VCARD.hasEmail, URIRef(f"mailto:{contact.email}")))
    return card


def concept(
    graph: Graph,
    uri: URIRef,
    labels: dict[str, str],
    scheme: URIRef | None,
    scheme_title: str | None = None,
    described: set[URIRef] | None = None,
) -> None:
    """A skos:Concept with its labels; DCAT-AP wants a prefLabel on every concept and a
    title on every scheme: when the source named neither, the URI's last segment and the
    scheme's URI are what there is to say. With `described` (a streamed dump), a concept
    already written earlier in the document is not described again."""
    if described is not None:
        if uri in described:
            return
        described.add(uri)
    graph.add((uri, RDF.type, SKOS.Concept))
    for lang, label in labels.items():
        graph.add((uri, SKOS.prefLabel, text_literal(label, lang or None)))
    if not labels and (uri, SKOS.prefLabel, None) not in graph:
        graph.add((uri, SKOS.prefLabel, Literal(str(uri).rstrip("/#").rsplit("/", 1)[-1])))
    if scheme is not None:
        graph.add((uri, SKOS.inScheme, scheme))
        graph.add((scheme, RDF.type, SKOS.ConceptScheme))
        if (scheme, DCTERMS.title, None) not in graph:
            graph.add((scheme, DCTERMS.title, Literal(scheme_title or str(scheme))))
