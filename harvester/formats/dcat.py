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

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError
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
from harvester.formats.rdf_canonical import canonical_lines
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
from moisson.record import Contact, Harvested, Identifier, Keyword, Record, TemporalExtent

__all__ = ["RAW_CONTENT_TYPE", "dataset_nodes", "read_graph", "record_from_graph"]


DCAT_SERIES = URIRef("http://www.w3.org/ns/dcat#DatasetSeries")  # not in rdflib 7.0 DCAT
RAW_CONTENT_TYPE = "text/turtle"  # a dataset's closure, one triple a line

_KINDS = ((DCAT.Dataset, "dataset"), (DCAT_SERIES, "series"), (DCAT.DataService, "service"))
# Where a theme IRI comes from, for Keyword.thesaurus_uri when the graph has no skos:inScheme.
_SCHEMES = (
    "http://publications.europa.eu/resource/authority/data-theme",
    "http://inspire.ec.europa.eu/theme",
    "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory",
    "http://www.eionet.europa.eu/gemet/concept",
)


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
    record = _catalog_record(graph, node)
    if record is not None:
        for value in graph.objects(record, DCTERMS.identifier):
            if str(value).strip():
                return str(value).strip()
    return None


def _catalog_record(graph: Graph, node: Node) -> Node | None:
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
    catalog_record = _catalog_record(graph, node)
    metadata_date = None
    if catalog_record is not None:
        metadata_date = parse_date(str(graph.value(catalog_record, DCTERMS.modified) or ""))
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
