"""Records -> DCAT-AP 3.0 / GeoDCAT-AP (rdflib), valid against the official SHACL shapes.

Pure: `add_dataset` writes one record into a graph, `catalog_graph` a page of them under a
`dcat:Catalog`. What each record says, and what is emitted when the source gave nothing:

- `dcat:Dataset` (a service record with an endpoint: `dcat:DataService` with
  `dcat:endpointURL`); `dct:title` / `dct:description` tagged with the record's language
  (the description repeats the title when the source gave none: DCAT-AP requires one);
  `dct:identifier` (the source's own id), `adms:identifier` per resource identifier;
- `dcat:keyword` for free keywords; `dcat:theme` for coded keywords (with their scheme),
  the company themes (`skos:inScheme` the company thesaurus) and the EU data themes each
  company theme matches in thesaurus/themes.ttl;
- `dcat:contactPoint` (vCard) per point of contact; `dct:publisher` / `dct:creator`
  (foaf:Agent) for contacts with those roles. Nothing is invented: a record with no
  publisher has none (it is optional on datasets; the catalogue has its own);
- `dct:spatial` as `dct:Location` with `dcat:bbox` and `locn:geometry` (GeoSPARQL WKT
  literals, CRS84), `dct:temporal` (`dcat:startDate` / `dcat:endDate`), `dct:issued`,
  `dct:modified`, `dct:language` (EU language authority);
- one `dcat:Distribution` per online resource: `dcat:accessURL` (always, DCAT-AP
  mandatory), `dcat:downloadURL` for downloads, `dcat:accessService` (a DataService with
  `dcat:endpointURL` and `dct:conformsTo` the OGC service type) for WMS/WFS/WMTS/WCS, the
  record's formats as `dct:format` on download distributions;
- `dct:license` (a LicenseDocument), `dct:accessRights` (one RightsStatement with the
  other constraints), `dct:provenance` (the lineage);
- `prov:wasDerivedFrom` for the harvested origin of each copy of a duplicate cluster (its
  original id, and the source catalogue it came from);
- a `dcat:CatalogRecord` per dataset (`foaf:primaryTopic`, `dct:modified` = last harvest
  date, `dct:issued` = first harvest date, `dct:source` = the source catalogue).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from moisson.record import Link, Record
from publish.dcat_terms import (
    ADMS,
    EU_LANGUAGE,
    EU_THEME_LABELS,
    EU_THEMES,
    HYDRA,
    ISO3,
    LOCN,
    SERVICE_TYPES,
    agent,
    bind_prefixes,
    concept,
    contact_point,
    date_literal,
    iri,
    publishable,
    text_literal,
    wkt,
)
from publish.scheme import ThemeScheme, language_tag

__all__ = [
    "HYDRA",
    "CatalogInfo",
    "Copy",
    "add_dataset",
    "bind_prefixes",
    "catalog_graph",
    "catalog_node",
    "dataset_uri",
    "dump_ntriples",
    "publishable",
    "record_graph",
]


@dataclass(frozen=True)
class CatalogInfo:
    """The published catalogue itself: its base URL (datasets live under
    `{base}/dcat/datasets/{id}`), title, description, publisher and homepage."""

    base: str
    title: str = "Moisson catalogue"
    description: str = "Harvested, themed and de-duplicated catalogue of spatial and open datasets."
    publisher: str = "Moisson"
    homepage: str | None = None
    language: str = "en"
    sources: dict[str, str] = field(default_factory=dict)  # source id -> its endpoint URL


@dataclass(frozen=True)
class Copy:
    """One harvested copy of a record's duplicate cluster."""

    source_id: str
    original_id: str


def dataset_uri(base: str, record_id: str) -> URIRef:
    return URIRef(f"{base.rstrip('/')}/dcat/datasets/{record_id}")


def _themes(
    graph: Graph,
    node: Node,
    record: Record,
    scheme: ThemeScheme,
    lang: str | None,
    described: set[URIRef] | None,
) -> None:
    company = URIRef(scheme.uri)
    if described is None or company not in described:
        for lang_, title in scheme.titles.items():
            graph.add((company, DCTERMS.title, text_literal(title, lang_ or None)))
        if described is not None:
            described.add(company)
    for theme in record.themes:
        uri = iri(theme.uri)
        if uri is None:
            continue
        graph.add((node, DCAT.theme, uri))
        concept(graph, uri, theme.labels or {"": theme.id}, company, described=described)
        for eu in scheme.eu_themes.get(theme.id, []):
            graph.add((node, DCAT.theme, URIRef(eu)))
            labels = {"en": EU_THEME_LABELS[eu]} if eu in EU_THEME_LABELS else {}
            concept(graph, URIRef(eu), labels, EU_THEMES, "Data theme", described)
    for keyword in record.keywords:
        uri = iri(keyword.uri) if keyword.uri else None
        if uri is None or keyword.thesaurus_uri == scheme.uri:
            if keyword.thesaurus_uri != scheme.uri:
                graph.add((node, DCAT.keyword, text_literal(keyword.label, lang)))
            continue
        graph.add((node, DCAT.theme, uri))
        in_scheme = iri(keyword.thesaurus_uri) if keyword.thesaurus_uri else None
        labels = {lang or "": keyword.label}
        concept(graph, uri, labels, in_scheme, keyword.thesaurus, described)


def _distribution(
    graph: Graph, link: Link, url: URIRef, fmt_name: str | None, lang: str | None
) -> BNode:
    dist = BNode()
    graph.add((dist, RDF.type, DCAT.Distribution))
    graph.add((dist, DCAT.accessURL, url))
    title = link.description or link.name
    if title:
        graph.add((dist, DCTERMS.title, text_literal(title, lang)))
    if link.protocol == "download":
        graph.add((dist, DCAT.downloadURL, url))
        if fmt_name:
            fmt = BNode()
            graph.add((fmt, RDF.type, DCTERMS.MediaTypeOrExtent))
            graph.add((fmt, RDFS.label, Literal(fmt_name)))
            graph.add((dist, DCTERMS["format"], fmt))
    if link.media_type and iri(f"https://www.iana.org/assignments/media-types/{link.media_type}"):
        media = URIRef(f"https://www.iana.org/assignments/media-types/{link.media_type}")
        graph.add((media, RDF.type, DCTERMS.MediaType))
        graph.add((dist, DCAT.mediaType, media))
    service_type = SERVICE_TYPES.get(link.protocol or "")
    if service_type:
        standard = URIRef(service_type)
        graph.add((standard, RDF.type, DCTERMS.Standard))
        graph.add((dist, DCTERMS.conformsTo, standard))
        service = BNode()
        graph.add((service, RDF.type, DCAT.DataService))
        graph.add((service, DCAT.endpointURL, url))
        graph.add((service, DCTERMS.conformsTo, standard))
        graph.add(
            (service, DCTERMS.title, text_literal(link.name or link.protocol or "service", lang))
        )
        graph.add((dist, DCAT.accessService, service))
    return dist


def add_dataset(
    graph: Graph,
    record: Record,
    scheme: ThemeScheme,
    catalog: CatalogInfo,
    *,
    copies: Sequence[Copy] = (),
    described: set[URIRef] | None = None,
) -> URIRef:
    """Write `record` (and its CatalogRecord) into `graph`; returns the dataset's IRI.
    `described`: concepts already written in this document (streamed dumps)."""
    node = dataset_uri(catalog.base, record.id)
    lang = language_tag(record.language)
    endpoints = [link for link in record.links if iri(link.url)]
    service = record.resource_type == "service" and bool(endpoints)
    graph.add((node, RDF.type, DCAT.DataService if service else DCAT.Dataset))
    graph.add((node, DCTERMS.title, text_literal(record.title, lang)))
    graph.add((node, DCTERMS.description, text_literal(record.abstract or record.title, lang)))
    graph.add((node, DCTERMS.identifier, Literal(record.provenance.original_id)))
    resource_type = (
        f"http://inspire.ec.europa.eu/metadata-codelist/ResourceType/{record.resource_type}"
    )
    if iri(resource_type):
        graph.add((node, DCTERMS.type, URIRef(resource_type)))
        concept(graph, URIRef(resource_type), {"en": record.resource_type}, None)
    for identifier in record.identifiers:
        adms_id = BNode()
        graph.add((adms_id, RDF.type, ADMS.Identifier))
        graph.add((adms_id, SKOS.notation, Literal(identifier.code)))
        if identifier.codespace:
            graph.add((adms_id, ADMS.schemaAgency, Literal(identifier.codespace)))
        graph.add((node, ADMS.identifier, adms_id))
    _themes(graph, node, record, scheme, lang, described)
    for contact in record.contacts:
        if contact.role in ("publisher", "owner") and (node, DCTERMS.publisher, None) not in graph:
            graph.add((node, DCTERMS.publisher, agent(graph, contact)))
        elif contact.role in ("author", "originator"):
            graph.add((node, DCTERMS.creator, agent(graph, contact)))
        else:
            graph.add((node, DCAT.contactPoint, contact_point(graph, contact)))
    for box in record.bboxes:
        place = BNode()
        graph.add((place, RDF.type, DCTERMS.Location))
        graph.add((place, DCAT.bbox, wkt(box)))
        graph.add((place, LOCN.geometry, wkt(box)))
        graph.add((node, DCTERMS.spatial, place))
    if record.temporal and (record.temporal.start or record.temporal.end):
        period = BNode()
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if record.temporal.start:
            graph.add((period, DCAT.startDate, date_literal(record.temporal.start)))
        if record.temporal.end:
            graph.add((period, DCAT.endDate, date_literal(record.temporal.end)))
        graph.add((node, DCTERMS.temporal, period))
    if record.created:
        graph.add((node, DCTERMS.created, date_literal(record.created)))
    if record.published:
        graph.add((node, DCTERMS.issued, date_literal(record.published)))
    if record.revised:
        graph.add((node, DCTERMS.modified, date_literal(record.revised)))
    if lang and lang in ISO3:
        language = URIRef(EU_LANGUAGE + ISO3[lang])
        graph.add((language, RDF.type, DCTERMS.LinguisticSystem))
        graph.add((node, DCTERMS.language, language))
    for thumbnail in record.thumbnails:
        if iri(thumbnail):
            graph.add((node, FOAF.depiction, URIRef(thumbnail)))
    _links(graph, node, record, endpoints, service, lang)
    _rights(graph, node, record, lang)
    if record.lineage:
        statement = BNode()
        graph.add((statement, RDF.type, DCTERMS.ProvenanceStatement))
        graph.add((statement, RDFS.label, text_literal(record.lineage, lang)))
        graph.add((node, DCTERMS.provenance, statement))
    _origins(graph, node, record, catalog, copies)
    return node


def _links(
    graph: Graph,
    node: URIRef,
    record: Record,
    endpoints: list[Link],
    service: bool,
    lang: str | None,
) -> None:
    if service:
        graph.add((node, DCAT.endpointURL, URIRef(endpoints[0].url.strip())))
        service_type = SERVICE_TYPES.get(endpoints[0].protocol or "")
        if service_type:
            graph.add((node, DCTERMS.conformsTo, URIRef(service_type)))
            graph.add((URIRef(service_type), RDF.type, DCTERMS.Standard))
        endpoints = endpoints[1:]
    if service:  # a DataService has no distributions: the other links are landing pages
        for link in endpoints:
            page = URIRef(link.url.strip())
            graph.add((node, DCAT.landingPage, page))
            graph.add((page, RDF.type, FOAF.Document))
        return
    # dct:format is one per distribution: a record's formats are stated when they pair with
    # its downloads (one format for all, or one each in order); otherwise not guessed.
    downloads = [link for link in endpoints if link.protocol == "download"]
    formats = record.formats
    if len(formats) == 1:
        paired = {id(link): formats[0] for link in downloads}
    elif len(formats) == len(downloads):
        paired = {id(link): name for link, name in zip(downloads, formats, strict=True)}
    else:
        paired = {}
    for link in endpoints:
        dist = _distribution(graph, link, URIRef(link.url.strip()), paired.get(id(link)), lang)
        graph.add((node, DCAT.distribution, dist))


def _rights(graph: Graph, node: URIRef, record: Record, lang: str | None) -> None:
    licence = None
    if record.licence:
        licence = iri(record.licence) or BNode()
        graph.add((licence, RDF.type, DCTERMS.LicenseDocument))
        if isinstance(licence, BNode):
            graph.add((licence, RDFS.label, text_literal(record.licence, lang)))
        distributions = list(graph.objects(node, DCAT.distribution))
        for dist in distributions:
            graph.add((dist, DCTERMS.license, licence))
        if not distributions:  # DCAT 3 allows it on any resource; nowhere else to say it
            graph.add((node, DCTERMS.license, licence))
    others = [c for c in record.constraints if c != record.licence]
    if others:
        statement = BNode()
        graph.add((statement, RDF.type, DCTERMS.RightsStatement))
        graph.add((statement, RDFS.label, text_literal("; ".join(others), lang)))
        graph.add((node, DCTERMS.accessRights, statement))


def _origins(
    graph: Graph, node: URIRef, record: Record, catalog: CatalogInfo, copies: Sequence[Copy]
) -> None:
    for copy in copies or [Copy(record.provenance.source_id, record.provenance.original_id)]:
        origin = iri(copy.original_id) or BNode()
        graph.add((origin, RDF.type, PROV.Entity))
        graph.add((origin, DCTERMS.identifier, Literal(copy.original_id)))
        endpoint = catalog.sources.get(copy.source_id)
        source = iri(endpoint) if endpoint else None
        if source is not None:
            graph.add((origin, PROV.wasAttributedTo, source))
            graph.add((source, RDF.type, PROV.Agent))
        graph.add((node, PROV.wasDerivedFrom, origin))
    entry = URIRef(f"{node}#record")
    graph.add((entry, RDF.type, DCAT.CatalogRecord))
    graph.add((entry, FOAF.primaryTopic, node))
    provenance = record.provenance
    harvested = provenance.last_seen.date() if provenance.last_seen else record.metadata_date
    modified = record.metadata_date or harvested
    if modified:
        graph.add((entry, DCTERMS.modified, date_literal(modified)))
    if provenance.first_seen:
        graph.add((entry, DCTERMS.issued, date_literal(provenance.first_seen.date())))
    if modified is None:  # DCAT-AP wants dct:modified on a CatalogRecord; nothing to say
        graph.remove((entry, None, None))
        return
    graph.add((URIRef(catalog.base.rstrip("/") + "/dcat"), DCAT.record, entry))


def record_graph(
    record: Record, scheme: ThemeScheme, catalog: CatalogInfo, copies: Sequence[Copy] = ()
) -> Graph:
    graph = bind_prefixes(Graph())
    add_dataset(graph, record, scheme, catalog, copies=copies)
    return graph


def catalog_node(graph: Graph, catalog: CatalogInfo) -> URIRef:
    """The dcat:Catalog with its own title, description, publisher and homepage."""
    node = URIRef(catalog.base.rstrip("/") + "/dcat")
    graph.add((node, RDF.type, DCAT.Catalog))
    graph.add((node, DCTERMS.title, Literal(catalog.title, lang=catalog.language)))
    graph.add((node, DCTERMS.description, Literal(catalog.description, lang=catalog.language)))
    publisher = BNode()
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal(catalog.publisher)))
    graph.add((node, DCTERMS.publisher, publisher))
    homepage = iri(catalog.homepage or catalog.base)
    if homepage is not None:
        graph.add((node, FOAF.homepage, homepage))
        graph.add((homepage, RDF.type, FOAF.Document))
    return node


def catalog_graph(
    records: Iterable[tuple[Record, Sequence[Copy]]], scheme: ThemeScheme, catalog: CatalogInfo
) -> Graph:
    """A dcat:Catalog holding `records` (each with the copies of its cluster)."""
    graph = bind_prefixes(Graph())
    node = catalog_node(graph, catalog)
    for record, copies in records:
        dataset = add_dataset(graph, record, scheme, catalog, copies=copies)
        kind = DCAT.service if (dataset, RDF.type, DCAT.DataService) in graph else DCAT.dataset
        graph.add((node, kind, dataset))
    return graph


def dump_ntriples(
    records: Iterable[Record], scheme: ThemeScheme, catalog: CatalogInfo, out: BinaryIO
) -> int:
    """The whole catalogue as N-Triples, one dataset at a time: memory stays that of one
    record's graph however large the store (N-Triples needs no document-wide state, so
    the pieces concatenate). Returns the number of datasets written."""
    head = bind_prefixes(Graph())
    node = catalog_node(head, catalog)
    out.write(head.serialize(format="nt", encoding="utf-8"))
    count = 0
    described: set[URIRef] = set()
    for record in records:
        graph = Graph()
        dataset = add_dataset(graph, record, scheme, catalog, described=described)
        kind = DCAT.service if (dataset, RDF.type, DCAT.DataService) in graph else DCAT.dataset
        graph.add((node, kind, dataset))
        out.write(graph.serialize(format="nt", encoding="utf-8"))
        count += 1
    return count
