"""The fixed documents of the Records API: landing page, conformance, collections,
queryables, sortables and the OpenAPI description. Pure functions of a base URL and the
collection list, so tests can validate them against the official schemas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moisson.query import KEYWORD_FIELDS
from publish.ogcapi_records.cql2 import FACET_QUERYABLES
from publish.ogcapi_records.params import PARAMS, SORTABLES

__all__ = [
    "CONFORMANCE",
    "Collection",
    "collection_document",
    "collections_document",
    "conformance_document",
    "landing_document",
    "openapi_document",
    "queryables_document",
    "sortables_document",
]

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
SORTABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/sortables"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-core",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-collection",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-api",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
]


@dataclass(frozen=True)
class Collection:
    """One record collection: the whole catalogue, a source, or a top-level theme.
    `facet`/`value` is the filter that defines it (None for the whole catalogue)."""

    id: str
    title: str
    description: str
    facet: str | None = None
    value: str | None = None


def _link(href: str, rel: str, kind: str, title: str | None = None) -> dict[str, Any]:
    link = {"href": href, "rel": rel, "type": kind}
    if title:
        link["title"] = title
    return link


def landing_document(base: str, title: str, description: str) -> dict[str, Any]:
    return {
        "title": title,
        "description": description,
        "links": [
            _link(f"{base}?f=json", "self", JSON, "this document"),
            _link(f"{base}?f=html", "alternate", HTML, "this document as HTML"),
            _link(
                f"{base}/openapi", "service-desc", "application/vnd.oai.openapi+json;version=3.0"
            ),
            _link(f"{base}/conformance", "conformance", JSON, "conformance classes"),
            _link(f"{base}/collections", "data", JSON, "record collections"),
        ],
    }


def conformance_document() -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE}


def collection_document(base: str, collection: Collection) -> dict[str, Any]:
    url = f"{base}/collections/{collection.id}"
    return {
        "id": collection.id,
        "type": "Collection",
        "itemType": "record",
        "title": collection.title,
        "description": collection.description,
        "extent": {
            "spatial": {
                "bbox": [[-180.0, -90.0, 180.0, 90.0]],
                "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            },
            "temporal": {"interval": [[None, None]]},
        },
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "links": [
            _link(url, "self", JSON, collection.title),
            _link(f"{url}?f=html", "alternate", HTML),
            _link(f"{url}/items", "items", GEOJSON, "records"),
            _link(f"{url}/items?f=html", "items", HTML, "records as HTML"),
            _link(f"{url}/queryables", QUERYABLES_REL, "application/schema+json"),
            _link(f"{url}/sortables", SORTABLES_REL, "application/schema+json"),
        ],
    }


def collections_document(base: str, collections: list[Collection]) -> dict[str, Any]:
    return {
        "collections": [collection_document(base, c) for c in collections],
        "links": [
            _link(f"{base}/collections", "self", JSON),
            _link(f"{base}/collections?f=html", "alternate", HTML),
        ],
    }


def queryables_document(base: str, collection: Collection) -> dict[str, Any]:
    """JSON Schema of the queryables (`filter` and the matching query parameters)."""
    string = {"type": "string"}
    properties: dict[str, Any] = {
        "q": {**string, "description": "full text (title, abstract, keywords...)"},
        "geometry": {"format": "geometry-any", "description": "the record's bbox"},
        "updated": {"type": "string", "format": "date", "description": "revision date"},
        "created": {"type": "string", "format": "date", "description": "creation date"},
        "datetime": {
            "type": "string",
            "format": "date",
            "description": "reference date: revision, else publication, else creation",
        },
    }
    for name, facet in FACET_QUERYABLES.items():
        if name in ("keywords", "organization"):
            continue  # spelling aliases, accepted but not advertised twice
        properties[name] = {**string, "description": KEYWORD_FIELDS.get(facet, facet)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{collection.id}/queryables",
        "type": "object",
        "title": collection.title,
        "properties": properties,
        "additionalProperties": False,
    }


def sortables_document(base: str, collection: Collection) -> dict[str, Any]:
    """What `sortby` accepts: `title,-updated`..., ascending unless prefixed with `-`."""
    kinds = {"title": "string", "type": "string", "id": "string"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{collection.id}/sortables",
        "type": "object",
        "title": collection.title,
        "properties": {
            name: {"type": kinds.get(name, "string")}
            | ({} if name in kinds else {"format": "date"})
            for name in SORTABLES
        },
        "additionalProperties": False,
    }


def _op(summary: str, params: list[str], kinds: list[str]) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {k: {} for k in kinds}},
        "400": {"description": "bad request", "content": {"application/problem+json": {}}},
        "404": {"description": "not found", "content": {"application/problem+json": {}}},
    }
    parameters = [{"$ref": f"#/components/parameters/{name}"} for name in params]
    parameters += [
        {"name": "f", "in": "query", "schema": {"type": "string", "enum": ["json", "html"]}}
    ]
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


def openapi_document(base: str, title: str, max_limit: int, default_limit: int) -> dict[str, Any]:
    """OpenAPI 3.0 description of the Records API (served at {base}/openapi)."""
    collection_id = {
        "name": "collectionId",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    record_id = {"name": "recordId", "in": "path", "required": True, "schema": {"type": "string"}}
    item_params = [p for p in PARAMS if p != "f"]
    parameters: dict[str, Any] = {
        name: {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in item_params
    }
    parameters["limit"]["schema"] = {
        "type": "integer",
        "minimum": 1,
        "maximum": max_limit,
        "default": default_limit,
    }
    parameters["offset"]["schema"] = {"type": "integer", "minimum": 0, "default": 0}
    parameters["startindex"]["schema"] = {"type": "integer", "minimum": 0}
    parameters["sortby"]["schema"] = {
        "type": "string",
        "pattern": rf"^[+-]?({'|'.join(SORTABLES)})(,[+-]?({'|'.join(SORTABLES)}))*$",
    }
    parameters["collectionId"] = collection_id
    parameters["recordId"] = record_id
    paths = {
        "/": _op("landing page", [], [JSON, HTML]),
        "/conformance": _op("conformance classes", [], [JSON, HTML]),
        "/collections": _op("record collections", [], [JSON, HTML]),
        "/collections/{collectionId}": _op("one collection", ["collectionId"], [JSON, HTML]),
        "/collections/{collectionId}/items": _op(
            "search records", ["collectionId", *item_params], [GEOJSON, HTML]
        ),
        "/collections/{collectionId}/items/{recordId}": _op(
            "one record", ["collectionId", "recordId"], [GEOJSON, HTML]
        ),
        "/collections/{collectionId}/queryables": _op(
            "queryables", ["collectionId"], ["application/schema+json"]
        ),
        "/collections/{collectionId}/sortables": _op(
            "sortables", ["collectionId"], ["application/schema+json"]
        ),
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{title} — OGC API - Records", "version": "1.0.0"},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {"parameters": parameters},
    }
