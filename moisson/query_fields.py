"""The vocabulary of the neutral query (moisson/query.py): the fields a query may name, what
each holds, the literal types that type-check them, and the limits a tree must keep."""

from __future__ import annotations

from typing import Literal

__all__ = [
    "DATE_ALIASES",
    "DATE_FIELDS",
    "FACETS",
    "KEYWORD_FIELDS",
    "MAX_CLAUSES",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_TEXT",
    "MAX_VALUES",
    "PREFIX_EXPANSION",
    "PUBLIC",
    "SORT_FIELDS",
    "TEXT_FIELDS",
    "DateField",
    "KeywordField",
    "SortField",
    "SortKey",
    "TextField",
    "date_field",
]

PUBLIC = "*"  # the `access` value of a record everyone may see

# Searchable text fields, in the order of their weight.
TEXT_FIELDS: tuple[str, ...] = ("title", "keywords", "abstract")

# Facet name -> what it counts. Order is the order the API shows them in. Each is also a
# keyword field (filterable with FieldFilter / Query.filters).
FACETS: dict[str, str] = {
    "source": "source id of each copy",
    "organisation": "organisations among the record's contacts",
    "keyword": "keyword labels",
    "resource_type": "ISO scope code: dataset, series, service...",
    "format": "distribution formats",
    "protocol": "link protocols (OGC:WMS, OGC:WFS, download...)",
    "year": "year of the record's reference date",
    "theme": "thesaurus concept ids of the record's themes and of their ancestors",
}

# Every keyword field a FieldFilter, Exists or Query.filters may name.
KEYWORD_FIELDS: dict[str, str] = {
    **FACETS,
    "id": "Moisson's record id",
    "original_id": "the record's id in its source (fileIdentifier, URI, package id...)",
    "identifier": "resource identifier codes (MD_Identifier code, dct:identifier, DOI as given)",
    "doi": "DOIs among the identifiers, lower-cased, without any https://doi.org/ or doi: prefix",
    "language": "metadata language, ISO 639-2/B three-letter code (fre, eng...)",
    "topic_category": "ISO topic categories (inlandWaters, environment...)",
}

# Date field -> which date of the record.
DATE_FIELDS: dict[str, str] = {
    "date": "reference date: last revision, else publication, else creation, else metadata",
    "created": "creation date of the resource",
    "modified": "last revision date of the resource (alias: revised)",
    "published": "publication date of the resource",
    "metadata": "date of the metadata record",
    "begin": "start of the temporal extent",
    "end": "end of the temporal extent",
}
DATE_ALIASES: dict[str, str] = {"revised": "modified"}

# What Sort may name: relevance, title, every date and these keyword fields (a multi-valued
# field sorts by its smallest value ascending, its largest descending).
SORT_FIELDS: tuple[str, ...] = (
    "relevance",
    "title",
    *DATE_FIELDS,
    "revised",
    "id",
    "source",
    "resource_type",
    "language",
    "organisation",
    "format",
)

MAX_DEPTH = 64
MAX_NODES = 2000
# Engine clauses a tree may cost: a text leaf costs one per field searched and word (a
# multi-word prefix 64 more per field: the prefix expands to index terms), any other leaf
# one. OpenSearch refuses queries over 1024 clauses; this keeps both backends in step.
MAX_CLAUSES = 900
PREFIX_EXPANSION = 64
MAX_TEXT = 1000  # characters in one text leaf
MAX_VALUES = 1000  # values in one FieldFilter

SortKey = Literal["relevance", "date", "title"]  # Query.sort, the JSON API's `sort`

TextField = Literal["title", "keywords", "abstract"]
KeywordField = Literal[
    "source",
    "organisation",
    "keyword",
    "resource_type",
    "format",
    "protocol",
    "year",
    "theme",
    "id",
    "original_id",
    "identifier",
    "doi",
    "language",
    "topic_category",
]
DateField = Literal[
    "date", "created", "modified", "revised", "published", "metadata", "begin", "end"
]
SortField = Literal[
    "relevance",
    "title",
    "date",
    "created",
    "modified",
    "revised",
    "published",
    "metadata",
    "begin",
    "end",
    "id",
    "source",
    "resource_type",
    "language",
    "organisation",
    "format",
]


def date_field(name: str) -> str:
    """The DATE_FIELDS name for `name` (`revised` -> `modified`)."""
    return DATE_ALIASES.get(name, name)
