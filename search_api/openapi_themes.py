"""OpenAPI paths and schemas of GET /api/themes and the theme admin endpoints (merged into
/openapi.json by search_api/openapi.py). The admin operations carry `x-admin: true` and the
tag `themes`; tests/api/test_themes.py walks them with admin access."""

from __future__ import annotations

import logging
from typing import Any

from search_api.openapi_schemas import error_response, json_response, ref

__all__ = ["theme_paths", "theme_schemas"]

logger = logging.getLogger(__name__)

_NOT_HERE = {"page", "size", "sort", "facet_size"}


def _closed(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def _admin(operation_id: str, summary: str, ok: str, **extra: Any) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["admin", "themes"],
        "x-admin": True,
        "security": [{"adminToken": []}],
        **extra,
        "responses": {
            "200": json_response(ok, summary),
            "400": error_response(
                "Unknown parameter, malformed JSON (with line and column), or a rule that is "
                "not valid (every problem listed)."
            ),
            "409": error_response(
                'A rule with this id exists and the draft did not say "replace": true.'
            ),
            "401": error_response("No or wrong admin token."),
            "403": error_response("Admin endpoints are closed."),
            "default": error_response("Any error, in the one error shape."),
        },
    }


_RULE_BODY = {
    "required": True,
    "description": "A draft rule, as in mappings/theme-rules.yaml (indexer/rules.py).",
    "content": {
        "application/json": {
            "schema": ref("ThemeRuleDraft"),
            "example": {
                "id": "zh-keyword",
                "comment": "Regional keyword for wetlands",
                "keyword": "milieux palustres",
                "concept": "wetlands",
            },
        }
    },
}


def theme_paths(search_parameters: list[dict[str, Any]]) -> dict[str, Any]:
    """Paths; `search_parameters` are those of /api/search (the tree follows a search)."""
    parameters = [p for p in search_parameters if p["name"] not in _NOT_HERE]
    return {
        "/api/themes": {
            "get": {
                "operationId": "themes",
                "summary": "The theme tree with, per concept, the records under it or under a "
                "narrower concept; takes the search parameters to count within a search.",
                "parameters": parameters,
                "responses": {
                    "200": json_response("ThemeTree", "The concept tree with counts."),
                    "400": error_response("A parameter is unknown or invalid."),
                    "default": error_response("Any error, in the one error shape."),
                },
            }
        },
        "/api/admin/unmapped": {
            "get": _admin(
                "unmappedKeywords",
                "Keywords no matcher step used, ranked by the records they would reach.",
                "UnmappedKeywords",
                parameters=[
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "description": "Most keywords.",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    }
                ],
            )
        },
        "/api/admin/mappings/preview": {
            "post": _admin(
                "previewMapping",
                "Which records a draft rule would give or take which themes; changes nothing.",
                "MappingChanges",
                requestBody=_RULE_BODY,
            )
        },
        "/api/admin/mappings/apply": {
            "post": _admin(
                "applyMapping",
                "Save a rule in the rules file and re-theme the records it changes, from the "
                "store (no harvest).",
                "MappingChanges",
                requestBody=_RULE_BODY,
            )
        },
    }


def theme_schemas() -> dict[str, Any]:
    count = {"type": "integer", "minimum": 0}
    text = {"type": "string"}
    node: dict[str, Any] = _closed(
        {
            "id": text,
            "uri": text,
            "label": text,
            "definition": {"type": "string", "nullable": True},
            "count": count,
            "narrower": {"type": "array", "items": ref("ThemeNode")},
        },
        "A concept; `count` includes the records of narrower concepts.",
    )
    rule_properties = {
        name: text
        for name in (
            "id",
            "comment",
            "concept",
            "keyword",
            "keyword_pattern",
            "uri",
            "thesaurus",
            "source",
            "pattern",
        )
    }
    rule_properties["action"] = {"type": "string", "enum": ["map", "exclude", "ignore"]}
    return {
        "ThemeNode": node,
        "ThemeTree": _closed(
            {
                "scheme": text,
                "lang": text,
                "total": count,
                "themes": {"type": "array", "items": ref("ThemeNode")},
            }
        ),
        "ThemeRule": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "comment"],
            "properties": rule_properties,
        },
        "ThemeRuleDraft": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "comment"],
            "properties": {
                **rule_properties,
                "replace": {
                    "type": "boolean",
                    "default": False,
                    "description": "Replace the rule with this id; without it, an existing "
                    "id is refused (409).",
                },
            },
        },
        "UnmappedKeywords": _closed(
            {
                "keywords": {
                    "type": "array",
                    "items": _closed({"keyword": text, "records": count, "unthemed": count}),
                }
            }
        ),
        "MappingChanges": _closed(
            {
                "rule": ref("ThemeRule"),
                "replaces": {
                    "anyOf": [
                        ref("ThemeRule"),
                        {"type": "object", "nullable": True, "enum": [None]},
                    ],
                    "description": "The rule of the rules file with this id, which the "
                    "draft replaces (its lost themes are in `records`); null for a new id.",
                },
                "applied": {"type": "boolean"},
                "changed": count,
                "gained": count,
                "lost": count,
                "records": {
                    "type": "array",
                    "items": _closed(
                        {
                            "id": text,
                            "title": text,
                            "source": text,
                            "gained": {"type": "array", "items": {"type": "object"}},
                            "lost": {"type": "array", "items": text},
                        }
                    ),
                },
            }
        ),
    }
