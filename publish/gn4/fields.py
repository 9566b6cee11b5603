"""GeoNetwork 4 index field names, as the datahub sends them, mapped onto Moisson's neutral
query fields (moisson/query.py).

A GN4 field is one of:

- a keyword field (`format`, `OrgForResourceObject.default`, `cl_topic.key`...): an exact
  `FieldFilter` on the Moisson keyword field it is built from (publish/gn4/documents.py
  writes the GN4 document from the same Record values, so filter, facet and document agree);
- a text field (`resourceTitleObject.*`, `tag.*`...): text leaves on title, keywords or
  abstract (boosts are dropped: the backends weigh title 10, keywords 4, abstract 1);
- a constant field (`isTemplate`, `draft`, `docType`, `cl_level.key`,
  `cl_presentationForm.key`): Moisson only holds published metadata records, so a value
  matches every record or none;
- a computed field: `isSpatial` (the datahub's runtime script, precomputed here as a
  condition on link protocols and formats; `SPATIAL`).

Company themes are the datahub's topics: `cl_topic.key` values are theme labels in the
request's language (the topic dropdown shows them as they are), or concept ids.
"""

from __future__ import annotations

from moisson.query import And, Exists, FieldFilter, Node, Not, Or, TextField

__all__ = [
    "CONSTANTS",
    "EVERYTHING",
    "KEYWORDS",
    "NOTHING",
    "SORTS",
    "SPATIAL",
    "SPATIAL_FORMATS",
    "SPATIAL_PROTOCOLS",
    "both",
    "either",
    "is_spatial",
    "negate",
    "text_fields",
]

# GN4 keyword field -> Moisson keyword field.
KEYWORDS: dict[str, str] = {
    "uuid": "id",
    "_id": "id",
    "id": "id",
    "format": "format",
    "OrgForResourceObject.default": "organisation",
    "OrgForResourceObject.default.keyword": "organisation",
    "contactForResource.organisationObject.default": "organisation",
    "contactForResource.organisationObject.default.keyword": "organisation",
    "resourceType": "resource_type",
    "cl_topic.key": "theme",
    "cl_topic.default": "theme",
    "tag.default": "keyword",
    "tag.default.keyword": "keyword",
    "publicationYearForResource": "year",
    "linkProtocol": "protocol",
    "sourceCatalogue": "source",
    "mainLanguage": "language",
    "resourceIdentifier": "identifier",
    "cl_topicCategory.key": "topic_category",
    "license": "licence",
}

# GN4 fields every Moisson record holds with one known value set: field -> values that
# match every record (any other value matches none).
CONSTANTS: dict[str, frozenset[str]] = {
    "isTemplate": frozenset({"n"}),
    "draft": frozenset({"n", "e"}),
    "docType": frozenset({"metadata"}),
    "isHarvested": frozenset({"true"}),
    "cl_level.key": frozenset(),
    "cl_presentationForm.key": frozenset(),
}

# GN4 sort field -> Moisson sort field; None: a constant here (userSavedCount), no order.
SORTS: dict[str, str | None] = {
    "_score": "relevance",
    "revisionDateForResource": "modified",
    "publicationDateForResource": "published",
    "creationDateForResource": "created",
    "createDate": "metadata",
    "changeDate": "metadata",
    "dateStamp": "metadata",
    "resourceTitleObject.default.keyword": "title",
    "resourceTitleObject.default.sort": "title",
    "userSavedCount": None,
    "popularity": None,
}

# Text field prefixes (before the first dot) -> Moisson text field; "*": every text field;
# "": searched nowhere (GN4 fields Moisson does not index as text: the clause still
# searches the others).
_TEXT: dict[str, str] = {
    "resourceTitleObject": "title",
    "resourceAbstractObject": "abstract",
    "tag": "keywords",
    "allKeywords": "keywords",
    "th_*": "keywords",
    "any": "*",
    "lineageObject": "",
}

# Every node is a pydantic model, so constants are plain values.
EVERYTHING: Node = Exists(field="id")
NOTHING: Node = Not(child=EVERYTHING)

# isSpatial (the datahub's runtime_mappings script, precomputed): a link protocol of OGC or
# Esri, or a format naming GeoJSON, a shapefile, ArcGIS or OGC.
SPATIAL_PROTOCOLS: tuple[str, ...] = ("OGC", "ogc", "ESRI", "esri", "Esri")
SPATIAL_FORMATS: tuple[str, ...] = (
    "GeoJSON",
    "geojson",
    "GEOJSON",
    "application/geo+json",
    "SHP",
    "shp",
    "Shapefile",
    "shapefile",
    "ESRI Shapefile",
    "ArcGIS",
    "arcgis",
)
SPATIAL: Node = Or(
    children=(
        FieldFilter(field="protocol", values=SPATIAL_PROTOCOLS, prefix=True),
        FieldFilter(field="format", values=SPATIAL_FORMATS),
    )
)


def is_spatial(protocols: list[str], formats: list[str]) -> bool:
    """The document side of SPATIAL, so a document's `isSpatial` and the filter agree."""
    return any(p.startswith(SPATIAL_PROTOCOLS) for p in protocols) or any(
        f in SPATIAL_FORMATS for f in formats
    )


def text_fields(names: list[str]) -> tuple[tuple[TextField, ...], bool] | None:
    """The Moisson text fields a GN4 field list searches ((): all) and whether `uuid` is
    among them; None when one name is not a text field (the caller refuses it)."""
    found: set[str] = set()
    uuid = False
    for raw in names:
        name = raw.split("^", 1)[0]
        if name in ("uuid", "_id"):
            uuid = True
            continue
        head = name.split(".", 1)[0]
        target = _TEXT.get(head)
        if target is None and head.startswith("th_"):
            target = "keywords"
        if target is None:
            return None
        if target:
            found.add(target)
    if "*" in found:
        return (), uuid
    order: tuple[TextField, ...] = ("title", "keywords", "abstract")
    return tuple(f for f in order if f in found), uuid


def both(nodes: list[Node]) -> Node:
    """AND of `nodes`, with the constants folded away."""
    kept = [n for n in nodes if n != EVERYTHING]
    if any(n == NOTHING for n in kept):
        return NOTHING
    if not kept:
        return EVERYTHING
    return kept[0] if len(kept) == 1 else And(children=tuple(kept))


def either(nodes: list[Node]) -> Node:
    """OR of `nodes`, with the constants folded away."""
    kept = [n for n in nodes if n != NOTHING]
    if any(n == EVERYTHING for n in kept):
        return EVERYTHING
    if not kept:
        return NOTHING
    return kept[0] if len(kept) == 1 else Or(children=tuple(kept))


def negate(node: Node) -> Node:
    """NOT `node`, with the constants folded away."""
    if node == EVERYTHING:
        return NOTHING
    if node == NOTHING:
        return EVERYTHING
    if isinstance(node, Not):
        return node.child
    return Not(child=node)
