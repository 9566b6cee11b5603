"""DCAT distributions and data services -> Record links and formats (pure).

`dcat:downloadURL` is a `download` link; `dcat:accessURL`, access services and a
DataService's `dcat:endpointURL` are recognised as OGC services (`OGC:WMS`, `OGC:WFS`...)
from `dct:format`, `dct:conformsTo`, a `SERVICE=` URL parameter or the service's
`dcat:endpointDescription`, like CSW links (normalise.normalise_protocol).
"""

from __future__ import annotations

from collections.abc import Callable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS
from rdflib.term import Node

from harvester.formats.normalise import normalise_protocol, tidy_text
from harvester.formats.rdf_terms import literal_text, local_name, node_label, node_value
from moisson.record import Link

__all__ = ["distributions"]

# A distribution's dct:conformsTo / dct:format that names an OGC service.
_SERVICE_TYPE_HINTS = ("serviceType/ogc/", "/ogc/wms", "/ogc/wfs", "wms", "wfs", "wmts", "wcs")


def _format_label(graph: Graph, value: Node | None, languages: tuple[str, ...]) -> str | None:
    """'CSV' from <.../file-type/CSV>, a literal, or a blank IMT node's label / rdf:value."""
    if value is None:
        return None
    if isinstance(value, URIRef):
        return node_label(graph, value, languages) or local_name(str(value))
    return node_value(graph, value, languages)


def _protocol(hints: list[str], url: str, function: str | None) -> str | None:
    for hint in hints:
        lowered = hint.lower()
        if any(h in lowered for h in _SERVICE_TYPE_HINTS):
            found = normalise_protocol(local_name(hint) if "://" in hint else hint, url)
            if found and found.startswith("OGC"):
                return found
    return normalise_protocol(None, url, function)


def _service_protocol(graph: Graph, service: Node, hints: list[str]) -> str | None:
    """A data service's protocol from its conformsTo / type, its endpoint URL, or the
    GetCapabilities URL of its dcat:endpointDescription (`...?SERVICE=WMS&...`)."""
    urls = [str(v) for v in graph.objects(service, DCAT.endpointURL)]
    urls += [str(v) for v in graph.objects(service, DCAT.endpointDescription)]
    for url in urls:
        found = _protocol(hints, url, None)
        if found and found.startswith("OGC"):
            return found
    return _protocol(hints, urls[0], None) if urls else None


def _content_key(graph: Graph) -> Callable[[Node], tuple[str, list[str]]]:
    """Distributions in an order of their own content, not of the document: the raw payload
    is stored in canonical (sorted) form, and a portal that lists the same distributions in
    another order has not changed the record."""

    def key(distribution: Node) -> tuple[str, list[str]]:
        named = str(distribution) if isinstance(distribution, URIRef) else ""
        said = sorted(
            f"{p} {o.n3()}"
            for p, o in graph.predicate_objects(distribution)
            if isinstance(o, (URIRef, Literal))
        )
        return named, said

    return key


def distributions(
    graph: Graph, node: Node, languages: tuple[str, ...]
) -> tuple[list[Link], list[str], list[str]]:
    links: list[Link] = []
    formats: list[str] = []
    licences: list[str] = []
    for page in graph.objects(node, DCAT.landingPage):
        links.append(Link(url=str(page).strip(), protocol="WWW:LINK", function="information"))
    # A DataService's own endpoints.
    for endpoint in graph.objects(node, DCAT.endpointURL):
        hints = [str(v) for v in graph.objects(node, DCTERMS.conformsTo)]
        hints += [str(v) for v in graph.objects(node, DCTERMS.type)]
        links.append(
            Link(url=str(endpoint).strip(), protocol=_service_protocol(graph, node, hints))
        )
    for distribution in sorted(graph.objects(node, DCAT.distribution), key=_content_key(graph)):
        format_label = _format_label(graph, graph.value(distribution, DCTERMS["format"]), languages)
        media_type = _format_label(graph, graph.value(distribution, DCAT.mediaType), languages)
        if media_type and "/" not in media_type and "iana.org" not in media_type:
            media_type = None
        if media_type and "iana.org/assignments/media-types/" in media_type:
            media_type = media_type.split("media-types/", 1)[1]
        if format_label and format_label not in formats:
            formats.append(format_label)
        name = node_label(graph, distribution, languages)
        description = tidy_text(literal_text(graph, distribution, DCTERMS.description, languages))
        hints = [format_label or ""] + [
            str(v) for v in graph.objects(distribution, DCTERMS.conformsTo)
        ]
        services = list(graph.objects(distribution, DCAT.accessService))
        for service in services:
            hints += [str(v) for v in graph.objects(service, DCTERMS.conformsTo)]
        for url in graph.objects(distribution, DCAT.downloadURL):
            links.append(
                Link(
                    url=str(url).strip(),
                    protocol="download",
                    function="download",
                    description=name or description,
                    media_type=media_type,
                )
            )
        for url in graph.objects(distribution, DCAT.accessURL):
            if any(str(url) == link.url for link in links):
                continue
            links.append(
                Link(
                    url=str(url).strip(),
                    protocol=_protocol(hints, str(url), None) or "WWW:LINK",
                    description=name or description,
                    media_type=media_type,
                )
            )
        for service in services:
            for endpoint in graph.objects(service, DCAT.endpointURL):
                if not any(str(endpoint) == link.url for link in links):
                    links.append(
                        Link(
                            url=str(endpoint).strip(),
                            protocol=_service_protocol(graph, service, hints),
                            description=node_label(graph, service, languages),
                        )
                    )
        licence = graph.value(distribution, DCTERMS.license)
        if licence is not None:
            text = node_value(graph, licence, languages)
            if text and text not in licences:
                licences.append(text)
    return [link for link in links if link.url], formats, licences
