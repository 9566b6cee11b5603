"""One DCAT-AP / GeoDCAT-AP dataset node of a graph -> a Record: the field mapping of
harvester/formats/dcat.py (titles and descriptions per language, identifiers, keywords and
themes, publisher and contact points, dct:spatial with locn:geometry or dcat:bbox, temporal
extent, dates, distributions and access services, licence and rights, provenance).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDFS, SKOS
from rdflib.term import Node

from harvester.formats.dcat_links import distributions
from harvester.formats.frequency import maintenance_frequency, period_frequency
from harvester.formats.geometry import bbox_from_literal
from harvester.formats.normalise import (
    normalise_language,
    one_line,
    parse_date,
    tidy_text,
)
from harvester.formats.rdf_terms import (
    ADMS,
    LOCN,
    SCHEMA,
    TIME,
    VCARD,
    date_of,
    lang_rank,
    literal_text,
    local_name,
    node_label,
    node_value,
)
from moisson.record import Contact, Identifier, Keyword, Record, TemporalExtent

__all__ = ["catalog_record", "record_from_graph"]

# Where a theme IRI comes from, for Keyword.thesaurus_uri when the graph has no skos:inScheme.
_SCHEMES = (
    "http://publications.europa.eu/resource/authority/data-theme",
    "http://inspire.ec.europa.eu/theme",
    "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory",
    "http://www.eionet.europa.eu/gemet/concept",
)


def catalog_record(graph: Graph, node: Node) -> Node | None:
    return graph.value(node, FOAF.isPrimaryTopicOf) or next(
        graph.subjects(FOAF.primaryTopic, node), None
    )


# -- the mapping ---------------------------------------------------------------------------


def _frequency(graph: Graph, node: Node) -> str | None:
    """`dct:accrualPeriodicity`: an EU or Dublin Core frequency IRI, a period, text, or a
    `dct:Frequency` whose rdf:value is a `time:DurationDescription` (datos.gob.es)."""
    for value in sorted(graph.objects(node, DCTERMS.accrualPeriodicity), key=str):
        for duration in graph.objects(value, RDF.value):
            for unit, predicate in _DURATION_UNITS:
                for count in graph.objects(duration, predicate):
                    try:
                        found = period_frequency(unit, float(str(count)))
                    except ValueError:
                        continue
                    if found:
                        return found
        if not (isinstance(value, URIRef) and graph.value(value, RDF.value) is not None):
            found = maintenance_frequency(node_value(graph, value, ()))
            if found:
                return found
    return None


_DURATION_UNITS = (
    ("Y", TIME.years),
    ("M", TIME.months),
    ("W", TIME.weeks),
    ("D", TIME.days),
    ("H", TIME.hours),
    ("MIN", TIME.minutes),
    ("S", TIME.seconds),
)


def record_from_graph(
    graph: Graph,
    node: Node,
    source_id: str,
    original_id: str,
    kind: str = "dataset",
    languages: tuple[str, ...] = ("fr", "en"),
) -> Record:
    """Map one DCAT resource to a Record. Raises ValidationError / ValueError when it has
    no usable title."""
    title = one_line(literal_text(graph, node, DCTERMS.title, languages))
    if not title:
        raise ValueError("no dct:title")
    temporal = _temporal(graph, node)
    links, formats, licences = distributions(graph, node, languages)
    licence = _licence(graph, node, languages) or (licences[0] if licences else None)
    record_node = catalog_record(graph, node)
    metadata_date = None
    if record_node is not None:
        metadata_date = parse_date(str(graph.value(record_node, DCTERMS.modified) or ""))
    language = None
    for value in graph.objects(node, DCTERMS.language):
        language = normalise_language(
            local_name(str(value)) if isinstance(value, URIRef) else str(value)
        )
        if language:
            break
    bboxes, places = _spatial(graph, node, languages)
    return Record.new(
        source_id,
        original_id,
        title=title,
        abstract=tidy_text(literal_text(graph, node, DCTERMS.description, languages)),
        language=language,
        identifiers=_identifiers(graph, node),
        keywords=_keywords(graph, node, languages) + places,
        contacts=_contacts(graph, node, languages),
        bboxes=bboxes,
        temporal=temporal,
        created=date_of(graph, node, DCTERMS.created),
        published=date_of(graph, node, DCTERMS.issued),
        revised=date_of(graph, node, DCTERMS.modified),
        metadata_date=metadata_date,
        resource_type=kind,
        formats=formats,
        links=links,
        licence=licence,
        constraints=_constraints(graph, node, languages),
        maintenance_frequency=_frequency(graph, node),
        lineage=_lineage(graph, node, languages),
        thumbnails=[str(v) for v in graph.objects(node, FOAF.depiction) if isinstance(v, URIRef)],
    )


def _identifiers(graph: Graph, node: Node) -> list[Identifier]:
    out: list[Identifier] = []
    for value in graph.objects(node, DCTERMS.identifier):
        if str(value).strip():
            out.append(Identifier(code=str(value).strip()))
    for adms_id in graph.objects(node, ADMS.identifier):
        for notation in graph.objects(adms_id, SKOS.notation):
            scheme = graph.value(adms_id, DCTERMS.creator) or graph.value(
                adms_id, ADMS.schemaAgency
            )
            out.append(
                Identifier(code=str(notation).strip(), codespace=str(scheme) if scheme else None)
            )
    unique: dict[str, Identifier] = {}
    for identifier in out:
        unique.setdefault(identifier.code, identifier)
    return list(unique.values())


def _keywords(graph: Graph, node: Node, languages: tuple[str, ...]) -> list[Keyword]:
    keywords: list[Keyword] = []
    tagged = [v for v in graph.objects(node, DCAT.keyword) if isinstance(v, Literal)]
    best = min((lang_rank(v, languages) for v in tagged), default=0)
    for value in sorted(tagged, key=str):
        # Keep the chosen language (and untagged ones): one keyword per language would
        # triple the facet for multilingual portals.
        if lang_rank(value, languages) in (best, len(languages)) and str(value).strip():
            keywords.append(Keyword(label=one_line(str(value)) or str(value)))
    for predicate in (DCAT.theme, DCTERMS.subject):
        for value in graph.objects(node, predicate):
            keyword = _concept(graph, value, languages)
            if keyword is not None:
                keywords.append(keyword)
    unique: dict[tuple[str, str | None], Keyword] = {}
    for keyword in keywords:
        unique.setdefault((keyword.label, keyword.uri), keyword)
    return list(unique.values())


def _concept(graph: Graph, value: Node, languages: tuple[str, ...]) -> Keyword | None:
    """A theme: an IRI (EU data theme, INSPIRE theme, GEMET...) kept as the keyword's URI,
    labelled from the graph when it carries the concept, else by its local name."""
    if isinstance(value, Literal):
        text = one_line(str(value))
        return Keyword(label=text) if text else None
    uri = str(value) if isinstance(value, URIRef) else None
    label = node_label(graph, value, languages) or (local_name(uri) if uri else None)
    if not label:
        return None
    scheme_node = graph.value(value, SKOS.inScheme)
    scheme = str(scheme_node) if isinstance(scheme_node, URIRef) else None
    if scheme is None and uri:
        scheme = next((s for s in _SCHEMES if uri.startswith(s)), None)
    thesaurus = node_label(graph, scheme_node, languages) if scheme_node is not None else None
    return Keyword(label=label, uri=uri, thesaurus=thesaurus, thesaurus_uri=scheme)


def _spatial(
    graph: Graph, node: Node, languages: tuple[str, ...]
) -> tuple[list[Any], list[Keyword]]:
    """Boxes from locn:geometry / dcat:bbox of dct:spatial nodes (and of the dataset itself);
    a place named only by IRI (a country, a GeoNames feature) becomes a keyword."""
    boxes: list[Any] = []
    places: list[Keyword] = []
    for place in graph.objects(node, DCTERMS.spatial):
        geometries = [
            value
            for predicate in (DCAT.bbox, LOCN.geometry)
            for value in graph.objects(place, predicate)
            if isinstance(value, Literal)
        ]
        # dcat:bbox first: it is what the publisher says the extent is.
        for value in geometries:
            datatype = str(value.datatype) if value.datatype else None
            found = bbox_from_literal(str(value), datatype)
            if found:
                boxes.extend(found)
                break
        if isinstance(place, URIRef):
            label = node_label(graph, place, languages) or local_name(str(place))
            places.append(Keyword(label=label, uri=str(place), thesaurus="place"))
        elif isinstance(place, Literal) and not geometries:
            found = bbox_from_literal(str(place), str(place.datatype) if place.datatype else None)
            if found:
                boxes.extend(found)
            elif str(place).strip():
                places.append(Keyword(label=one_line(str(place)) or "", thesaurus="place"))
    unique = {tuple(b.as_list()): b for b in boxes}
    return list(unique.values()), places


def _temporal(graph: Graph, node: Node) -> TemporalExtent | None:
    for period in graph.objects(node, DCTERMS.temporal):
        start = _first_date(graph, period, (DCAT.startDate, SCHEMA.startDate))
        end = _first_date(graph, period, (DCAT.endDate, SCHEMA.endDate))
        if start is None:
            start = _instant(graph, graph.value(period, TIME.hasBeginning))
        if end is None:
            end = _instant(graph, graph.value(period, TIME.hasEnd))
        if start or end:
            if start and end and start > end:
                start, end = end, start
            return TemporalExtent(start=start, end=end)
    return None


def _first_date(graph: Graph, node: Node, predicates: Iterable[Any]) -> Any:
    for predicate in predicates:
        found = date_of(graph, node, predicate)
        if found:
            return found
    return None


def _instant(graph: Graph, node: Node | None) -> Any:
    if node is None:
        return None
    return _first_date(graph, node, (TIME.inXSDDate, TIME.inXSDDateTime, TIME.inXSDDateTimeStamp))


def _contacts(graph: Graph, node: Node, languages: tuple[str, ...]) -> list[Contact]:
    contacts: list[Contact] = []
    roles = ((DCTERMS.publisher, "publisher"), (DCTERMS.creator, "author"))
    for predicate, role in roles:
        for agent in graph.objects(node, predicate):
            name = node_label(graph, agent, languages)
            email = _email(graph, agent, (FOAF.mbox,))
            if name or email:
                contacts.append(Contact(organisation=name, email=email, role=role))
    for point in graph.objects(node, DCAT.contactPoint):
        organisation = literal_text(graph, point, VCARD["organization-name"], languages)
        name = literal_text(graph, point, VCARD.fn, languages)
        email = _email(graph, point, (VCARD.hasEmail,))
        if name or organisation or email:
            contacts.append(
                Contact(
                    organisation=one_line(organisation or name),
                    name=one_line(name) if organisation else None,
                    email=email,
                    role="pointOfContact",
                )
            )
    return contacts


def _email(graph: Graph, node: Node, predicates: Iterable[Any]) -> str | None:
    for predicate in predicates:
        for value in graph.objects(node, predicate):
            if isinstance(value, BNode):
                value = graph.value(value, VCARD.value) or value
            text = str(value).strip()
            if text.lower().startswith("mailto:"):
                text = text[7:]
            if "@" in text:
                return text
    return None


def _licence(graph: Graph, node: Node, languages: tuple[str, ...]) -> str | None:
    for value in graph.objects(node, DCTERMS.license):
        text = node_value(graph, value, languages)
        if text:
            return text
    return None


def _constraints(graph: Graph, node: Node, languages: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for predicate in (DCTERMS.accessRights, DCTERMS.rights):
        for value in graph.objects(node, predicate):
            text = node_value(graph, value, languages)
            if text and text not in out:
                out.append(text)
    return out


def _lineage(graph: Graph, node: Node, languages: tuple[str, ...]) -> str | None:
    for value in graph.objects(node, DCTERMS.provenance):
        if isinstance(value, Literal):
            return tidy_text(str(value))
        text = literal_text(graph, value, RDFS.label, languages) or literal_text(
            graph, value, DCTERMS.description, languages
        )
        if text:
            return tidy_text(text)
    return None
