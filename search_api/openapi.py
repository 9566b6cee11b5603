"""GET /openapi.json: the OpenAPI 3.0 description of every endpoint.

Parameter patterns and limits come from search_api/params.py, and the schemas from
search_api/openapi_schemas.py (Record generated from the pydantic model), so the document
describes what the code does. Tests validate real responses against it, walk every operation
with good and bad input, and fail when Flask serves a route it does not describe.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint

from indexer.backends.base import FACETS
from moisson.config import Settings
from moisson.query import DATE_FIELDS, KEYWORD_FIELDS, SORT_FIELDS
from publish.csw.openapi_paths import csw_paths
from search_api.openapi_admin import SECURITY_SCHEMES, admin_paths, admin_schemas
from search_api.openapi_clusters import cluster_paths
from search_api.openapi_schemas import component_schemas, error_response, json_response, ref
from search_api.openapi_suggest import suggest_paths, suggest_schemas
from search_api.openapi_themes import theme_paths, theme_schemas
from search_api.params import (
    BBOX_PATTERN,
    DATE_PATTERN,
    FILTER_ONLY,
    LANG_PATTERN,
    MAX_PAGE,
    MAX_Q_LENGTH,
    RANGE_PARAMS,
    SORT_KEYS,
    query_limit,
)
from search_api.records import RAW_VALUES
from search_api.state import state

__all__ = ["blueprint", "build_document"]

logger = logging.getLogger(__name__)

blueprint = Blueprint("openapi", __name__)


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "allowEmptyValue": True,
        "description": description,
        "schema": schema,
        **extra,
    }


def _search_parameters(settings: Settings) -> list[dict[str, Any]]:
    max_size = min(settings.api.max_page_size, query_limit("size", "le"))
    params = [
        _query(
            "q",
            "Full-text terms (escaped: no engine syntax).",
            {"type": "string", "maxLength": MAX_Q_LENGTH},
            example="eau",
        ),
        _query(
            "page",
            "Page number.",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        ),
        _query(
            "size",
            "Hits per page; 0 returns only total and facets.",
            {"type": "integer", "minimum": 0, "maximum": max_size, "default": min(20, max_size)},
            example=5,
        ),
        _query(
            "start",
            "0-based position of the first hit among all matches; wins over `page`.",
            {"type": "integer", "minimum": 0},
            example=40,
        ),
        _query(
            "sort",
            f"Result order: one of {', '.join(SORT_KEYS)}, or a comma-separated list of "
            f"sort keys ({', '.join(SORT_FIELDS)}), each prefixed by '-' for descending.",
            {"type": "string", "default": "relevance"},
            example="-modified,title",
        ),
        _query(
            "lang",
            "ISO 639 language code of the query.",
            {"type": "string", "pattern": LANG_PATTERN},
        ),
        _query(
            "bbox",
            "minx,miny,maxx,maxy in WGS84 degrees; miny <= maxy. minx > maxx crosses the "
            "antimeridian (170,-10,-170,10): searched as two boxes.",
            {"type": "string", "pattern": BBOX_PATTERN},
            example="-10,35,20,60",
        ),
        _query(
            "from",
            "Records dated on or after (YYYY means 1 January).",
            {"type": "string", "pattern": DATE_PATTERN},
            example="1990",
        ),
        _query(
            "to",
            "Records dated on or before (YYYY means 31 December); not before `from`.",
            {"type": "string", "pattern": DATE_PATTERN},
            example="2100-12-31",
        ),
        _query(
            "facet_size",
            "Buckets returned per facet.",
            {
                "type": "integer",
                "minimum": query_limit("facet_size", "ge"),
                "maximum": query_limit("facet_size", "le"),
                "default": 10,
            },
        ),
        _query(
            "collapse",
            "One hit per duplicate cluster (its canonical record, `sources` listing every "
            "copy), with totals and facets counting clusters; `false` shows every copy.",
            {"type": "boolean", "default": True},
            example=False,
        ),
    ]
    for name in RANGE_PARAMS:
        field, end = name.rsplit("_", 1)
        params.append(
            _query(
                name,
                f"Records whose {DATE_FIELDS[field]} is "
                f"{'on or after' if end == 'from' else 'on or before'} this date "
                "(YYYY or YYYY-MM-DD).",
                {"type": "string", "pattern": DATE_PATTERN},
            )
        )
    for field in FILTER_ONLY:
        params.append(
            _query(
                field,
                f"Filter on {KEYWORD_FIELDS[field]} (exact). Repeat to OR values.",
                {"type": "array", "items": {"type": "string"}},
                style="form",
                explode=True,
            )
        )
    for facet, meaning in FACETS.items():
        items: dict[str, Any] = {"type": "string"}
        if facet == "year":
            items["pattern"] = r"^\d{4}$"
        params.append(
            _query(
                facet,
                f"Filter on {meaning}. Repeat to OR values; different facets AND.",
                {"type": "array", "items": items},
                style="form",
                explode=True,
            )
        )
    return params


def _paths(settings: Settings) -> dict[str, Any]:
    default = {"default": error_response("Any error, in the one error shape.")}
    return {
        "/api/search": {
            "get": {
                "operationId": "search",
                "summary": "Faceted full-text search. Unknown parameters are refused.",
                "parameters": _search_parameters(settings),
                "responses": {
                    "200": json_response("SearchResponse", "One page of hits with facets."),
                    "400": error_response(
                        "A parameter is unknown or invalid; the message says which."
                    ),
                    **default,
                },
            }
        },
        "/api/records/{record_id}": {
            "get": {
                "operationId": "getRecord",
                "summary": "One record with its provenance, or its raw harvested payload.",
                "parameters": [
                    {
                        "name": "record_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    _query(
                        "raw",
                        "1 or true: return the payload exactly as harvested, with its stored "
                        "content type.",
                        {"type": "string", "enum": list(RAW_VALUES)},
                    ),
                ],
                "responses": {
                    "200": {
                        "description": "The record (JSON), or with raw=1 the original bytes.",
                        "content": {
                            "application/json": {"schema": ref("Record")},
                            "*/*": {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    "400": error_response("Bad `raw` value or unknown parameter."),
                    "404": error_response("No such record."),
                    **default,
                },
            }
        },
        "/api/sources": {
            "get": {
                "operationId": "listSources",
                "summary": "Configured sources, record counts and last harvest run.",
                "responses": {
                    "200": json_response("Sources", "The configured sources."),
                    **default,
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Liveness: answers when the search index answers.",
                "responses": {
                    "200": json_response("Health", "The index answered."),
                    "503": error_response("The index is unavailable."),
                    **default,
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.0 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **default,
                },
            }
        },
        "/static/{filename}": {
            "get": {
                "operationId": "staticFile",
                "summary": "The web interface's own CSS and JS, and its vendored libraries.",
                "parameters": [
                    {
                        "name": "filename",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "example": "css/site.css",
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The file.",
                        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    "404": error_response("No such file."),
                    **default,
                },
            }
        },
    }


def build_document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI document for an app built with `settings` (limits depend on them)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Moisson search API",
            "version": "0.1.0",
            "description": "Faceted search over harvested spatial metadata catalogues.",
        },
        "paths": {
            **_paths(settings),
            **admin_paths(),
            **cluster_paths(),
            **theme_paths(_search_parameters(settings)),
            **suggest_paths(),
            **csw_paths(settings),  # XML, not JSON: publish/csw/
        },
        "components": {
            "schemas": {
                **component_schemas(),
                **admin_schemas(),
                **theme_schemas(),
                **suggest_schemas(),
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


@blueprint.get("/openapi.json")
def openapi() -> dict[str, Any]:
    return build_document(state().settings)
