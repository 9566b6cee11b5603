"""OpenAPI path and schema of GET /api/suggest (merged into /openapi.json by
search_api/openapi.py); limits come from search_api/search.py."""

from __future__ import annotations

from typing import Any

from search_api.openapi_schemas import error_response, json_response
from search_api.search import SUGGEST_MAX_LENGTH, SUGGEST_MAX_SIZE

__all__ = ["suggest_paths", "suggest_schemas"]


def suggest_paths() -> dict[str, Any]:
    return {
        "/api/suggest": {
            "get": {
                "operationId": "suggest",
                "summary": (
                    "Autocomplete: keywords (most used first), then titles, starting with q, "
                    "ignoring case and accents; only from records the caller may see."
                ),
                "parameters": [
                    {
                        "name": "q",
                        "in": "query",
                        "required": False,
                        "allowEmptyValue": True,
                        "description": "What the user typed so far; empty: no suggestions.",
                        "schema": {"type": "string", "maxLength": SUGGEST_MAX_LENGTH},
                        "example": "zon",
                    },
                    {
                        "name": "size",
                        "in": "query",
                        "required": False,
                        "allowEmptyValue": True,
                        "description": "How many suggestions at most (default 10).",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": SUGGEST_MAX_SIZE,
                            "default": 10,
                        },
                    },
                ],
                "responses": {
                    "200": json_response("Suggestions", "Completions, best first."),
                    "400": error_response("Unknown parameter, bad size or too long q."),
                    "default": error_response("Any error, in the one error shape."),
                },
            }
        }
    }


def suggest_schemas() -> dict[str, Any]:
    return {
        "Suggestions": {
            "type": "object",
            "additionalProperties": False,
            "required": ["q", "suggestions"],
            "properties": {
                "q": {"type": "string"},
                "suggestions": {"type": "array", "items": {"type": "string"}},
            },
        }
    }
