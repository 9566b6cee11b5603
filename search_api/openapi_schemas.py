"""Component schemas of /openapi.json (search_api/openapi.py holds the paths).

The Record schema is generated from the pydantic model, so the document cannot drift from
what /api/records returns. The response shapes written here mirror search_api/serialise.py;
they are closed (`additionalProperties: false`, every property required) so that the tests
validating real responses against them catch any drift.

pydantic emits JSON Schema 2020-12; `to_oas30` rewrites the few constructs OpenAPI 3.0 lacks
(`{"type": "null"}` alternatives become `nullable`, `const` becomes a one-value `enum`).
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from moisson.record import FacetInfo, HitSource, Record
from search_api.params import SORT_KEYS

__all__ = [
    "REF",
    "component_schemas",
    "error_response",
    "json_response",
    "nullable",
    "ref",
    "to_oas30",
]

logger = logging.getLogger(__name__)

REF = "#/components/schemas/{model}"
_NULL_ALTERNATIVE = {"type": "object", "nullable": True, "enum": [None]}


def to_oas30(node: Any) -> Any:
    """Rewrite a pydantic JSON Schema fragment into OpenAPI 3.0 Schema Object terms."""
    if isinstance(node, list):
        return [to_oas30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_oas30(value) for key, value in node.items() if key != "$defs"}
    if "const" in out:
        out["enum"] = [out.pop("const")]
    alternatives = out.get("anyOf")
    if isinstance(alternatives, list) and {"type": "null"} in alternatives:
        others = [a for a in alternatives if a != {"type": "null"}]
        del out["anyOf"]
        if len(others) == 1 and "$ref" not in others[0]:
            out = {**others[0], **out, "nullable": True}
        else:  # OAS 3.0 cannot put `nullable` beside a $ref, so offer null as an alternative
            out["anyOf"] = [*others, _NULL_ALTERNATIVE]
    return out


def _model_schemas(*models: type[BaseModel]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF)
        for name, definition in schema.get("$defs", {}).items():
            schemas[name] = to_oas30(definition)
        schemas[model.__name__] = to_oas30(schema)
    return schemas


def nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A closed object whose properties are all always present: what our serialisers emit."""
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def json_response(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(name)}}}


def error_response(description: str) -> dict[str, Any]:
    return json_response("Error", description)


def component_schemas() -> dict[str, Any]:
    bbox = {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4}
    schemas = _model_schemas(Record, HitSource, FacetInfo)
    schemas.update(
        {
            "Error": _object(
                {
                    "error": _object(
                        {
                            "status": {"type": "integer", "minimum": 400, "maximum": 599},
                            "type": {"type": "string", "example": "BadQuery"},
                            "message": {"type": "string"},
                        }
                    )
                },
                "The one error shape every endpoint uses.",
            ),
            "QueryEcho": _object(
                {
                    "q": {"type": "string"},
                    "page": {"type": "integer", "minimum": 1},
                    "size": {"type": "integer", "minimum": 0},
                    "sort": {"type": "string", "enum": list(SORT_KEYS)},
                    "lang": nullable("string"),
                    "bbox": {**bbox, "nullable": True},
                    "from": nullable("string", format="date"),
                    "to": nullable("string", format="date"),
                    "filters": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                    "facet_size": {"type": "integer", "minimum": 1},
                    "collapse": {"type": "boolean"},
                    "expansions": {
                        "type": "array",
                        "description": "Words of q that are thesaurus labels; records filed "
                        "under these concepts (theme facet values) matched too.",
                        "items": _object(
                            {
                                "phrase": {"type": "string"},
                                "concepts": {"type": "array", "items": {"type": "string"}},
                            }
                        ),
                    },
                },
                "The query as the server understood it after validation.",
            ),
            "SearchHit": _object(
                {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "abstract": nullable("string"),
                    "snippet": nullable(
                        "string",
                        description="HTML: text already escaped, matches wrapped in <mark>.",
                    ),
                    "bbox": {**bbox, "nullable": True, "description": "minx,miny,maxx,maxy"},
                    "resource_type": nullable("string"),
                    "date": nullable("string", format="date"),
                    "links": {"type": "array", "items": ref("Link")},
                    "sources": {"type": "array", "items": ref("HitSource")},
                    "source_names": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "The sources of the hit's copies, each named once, "
                        "best copy first: what a result line shows.",
                    },
                    "themes": {"type": "array", "items": {"type": "object"}},
                }
            ),
            "FacetBucket": _object(
                {
                    "value": {"type": "string"},
                    "label": {"type": "string"},
                    "count": {"type": "integer", "minimum": 0},
                    "selected": {"type": "boolean"},
                    "toggle": {
                        "type": "string",
                        "pattern": "^/api/search",
                        "description": "Relative URL of this search with the value added to "
                        "the filters, or removed if selected; page reset.",
                    },
                }
            ),
            "SearchResponse": _object(
                {
                    "total": {"type": "integer", "minimum": 0},
                    "page": {"type": "integer", "minimum": 1},
                    "size": {"type": "integer", "minimum": 0},
                    "query": ref("QueryEcho"),
                    "suggestion": nullable(
                        "string",
                        description="Did you mean: q with its misspelt words corrected "
                        "against the index vocabulary (offered when q finds fewer than 3 "
                        "records and the correction finds more), else null.",
                    ),
                    "corrected": {
                        "type": "boolean",
                        "description": "true when q found nothing and the hits are those of "
                        "`suggestion` (then `query.q` echoes the suggestion).",
                    },
                    "hits": {"type": "array", "items": ref("SearchHit")},
                    "facets": {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": ref("FacetBucket")},
                    },
                    "facet_info": {"type": "object", "additionalProperties": ref("FacetInfo")},
                }
            ),
            "Run": _object(
                {
                    "id": {"type": "integer"},
                    "status": {"type": "string", "example": "complete"},
                    "complete": {"type": "boolean"},
                    "started": {"type": "string", "format": "date-time"},
                    "ended": nullable("string", format="date-time"),
                    **{
                        name: {"type": "integer", "minimum": 0}
                        for name in ("pages", "seen", "new", "updated", "unchanged", "quarantined")
                    },
                    "declared_total": nullable("integer"),
                    "message": nullable("string"),
                },
                "A harvest run of one source.",
            ),
            "Source": _object(
                {
                    "id": {"type": "string"},
                    "kind": {"type": "string", "example": "csw"},
                    "name": {"type": "string"},
                    "url": {
                        "type": "string",
                        "nullable": True,
                        "description": "The source's address: in full for admins; for others "
                        "only a public web address (null for a file path or an internal host).",
                    },
                    "enabled": {"type": "boolean"},
                    "records": {"type": "integer", "minimum": 0},
                    "last_run": {"anyOf": [ref("Run"), _NULL_ALTERNATIVE]},
                }
            ),
            "Sources": _object({"sources": {"type": "array", "items": ref("Source")}}),
            "Health": _object(
                {
                    "status": {"type": "string", "enum": ["ok"]},
                    "records": {"type": "integer", "minimum": 0},
                }
            ),
        }
    )
    return schemas
