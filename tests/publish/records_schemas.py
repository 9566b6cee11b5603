"""Validators for the official OGC API - Records schemas in ../shared/fixtures.

The YAML files `$ref` each other by file name, and a few point at schemas.opengis.net (OGC
API - Features Part 1: geometry, feature collection, collection(s), landing page). Those are
resolved here to local equivalents written from the Features Part 1 schemas (never fetched):
the same required members and types.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import SHARED_FIXTURES

SCHEMAS = SHARED_FIXTURES / "ogcapi-records-schemas"
BASE = "https://moisson.test/schemas/"
FEATURES = "https://schemas.opengis.net/ogcapi/features/part1/1.0/openapi/schemas/"

_LINK = {
    "type": "object",
    "required": ["href"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "hreflang": {"type": "string"},
        "title": {"type": "string"},
        "length": {"type": "integer"},
    },
}
_POSITION = {"type": "array", "minItems": 2, "items": {"type": "number"}}
_RING = {"type": "array", "minItems": 4, "items": _POSITION}
_GEOMETRY = {
    "oneOf": [
        {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {"type": {"enum": ["Point"]}, "coordinates": _POSITION},
        },
        {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {
                "type": {"enum": ["Polygon"]},
                "coordinates": {"type": "array", "items": _RING},
            },
        },
        {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {
                "type": {"enum": ["MultiPolygon"]},
                "coordinates": {"type": "array", "items": {"type": "array", "items": _RING}},
            },
        },
    ]
}
_EXTENT = {
    "type": "object",
    "properties": {
        "spatial": {
            "type": "object",
            "properties": {
                "bbox": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "array",
                        "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}],
                        "items": {"type": "number"},
                    },
                },
                "crs": {"type": "string"},
            },
        },
        "temporal": {
            "type": "object",
            "properties": {
                "interval": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "array",
                        "minItems": 2,
                        "maxItems": 2,
                        "items": {"type": ["string", "null"]},
                    },
                },
                "trs": {"type": "string"},
            },
        },
    },
}
_COLLECTION = {
    "type": "object",
    "required": ["id", "links"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "links": {"type": "array", "items": _LINK},
        "extent": _EXTENT,
        "itemType": {"type": "string"},
        "crs": {"type": "array", "items": {"type": "string"}},
    },
}
LOCAL_FEATURES: dict[str, dict[str, Any]] = {
    "geometryGeoJSON.yaml": _GEOMETRY,
    "featureCollectionGeoJSON.yaml": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"enum": ["FeatureCollection"]},
            "features": {"type": "array"},
            "links": {"type": "array", "items": _LINK},
            "timeStamp": {"type": "string", "format": "date-time"},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
        },
    },
    "collection.yaml": _COLLECTION,
    "collections.yaml": {
        "type": "object",
        "required": ["links", "collections"],
        "properties": {
            "links": {"type": "array", "items": _LINK},
            "collections": {"type": "array", "items": _COLLECTION},
        },
    },
    "landingPage.yaml": {
        "type": "object",
        "required": ["links"],
        "properties": {
            "title": {"type": "string"},
            "description": {"type": "string"},
            "links": {"type": "array", "items": _LINK},
        },
    },
}


def _nullable(schema: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` -> JSON Schema (type null allowed).

    The Records schemas write "null or X" as `oneOf: [{type: object, nullable: true}, X]`
    (OpenAPI 3.0 has no null type): the bare nullable object branch means null, else every
    object would match both branches and `oneOf` would refuse them all."""
    if isinstance(schema, dict) and schema == {"type": "object", "nullable": True}:
        return {"type": "null"}
    if isinstance(schema, dict):
        out = {k: _nullable(v) for k, v in schema.items() if k != "nullable"}
        if schema.get("nullable") is True:
            return {"anyOf": [{"type": "null"}, out]}
        return out
    if isinstance(schema, list):
        return [_nullable(v) for v in schema]
    return schema


@cache
def registry() -> Registry:  # type: ignore[type-arg]
    resources = []
    for path in sorted(SCHEMAS.rglob("*.yaml")):
        contents = _nullable(yaml.safe_load(path.read_text(encoding="utf-8")))
        uri = BASE + str(path.relative_to(SCHEMAS))
        resources.append((uri, Resource(contents=contents, specification=DRAFT202012)))
    for name, contents in LOCAL_FEATURES.items():
        resources.append((FEATURES + name, Resource(contents=contents, specification=DRAFT202012)))
    return Registry().with_resources(resources)


def validator(name: str) -> Draft202012Validator:
    """A validator for one schema file, e.g. 'core/recordGeoJSON.yaml'."""
    return Draft202012Validator(
        {"$ref": BASE + name},
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def errors(name: str, document: Any) -> list[str]:
    found = sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{list(e.absolute_path)}: {e.message}" for e in found[:5]]


def available() -> bool:
    return Path(SCHEMAS / "core" / "recordGeoJSON.yaml").is_file()
