"""OpenAPI paths and schemas of GET /api/stats and the /api/admin endpoints (merged into
/openapi.json by search_api/openapi.py). Admin operations carry `x-admin: true` and the
`adminToken` security scheme."""

from __future__ import annotations

import logging
from typing import Any

from search_api.openapi_schemas import error_response, json_response, nullable, ref

__all__ = ["SECURITY_SCHEMES", "admin_paths", "admin_schemas"]

logger = logging.getLogger(__name__)

SECURITY_SCHEMES = {
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The admin token (MOISSON_API__ADMIN_TOKEN), unless `api.admin_open`.",
    }
}


def _param(name: str, where: str, description: str, schema: dict[str, Any], **extra: Any) -> Any:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
        **extra,
    }


_SOURCE = _param("source", "query", "Only this source id.", {"type": "string"})
_LIMIT = _param("limit", "query", "Most items.", {"type": "integer", "minimum": 1, "maximum": 1000})
_FLAG = {"type": "string", "enum": ["0", "1", "true", "false"]}
_REVIEW = _param("review_id", "path", "Retirement review id.", {"type": "integer"}, example="1")


def _admin(operation_id: str, summary: str, ok: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["admin"],
        "x-admin": True,
        "security": [{"adminToken": []}],
        **extra,
        "responses": {
            **ok,
            "400": error_response("Unknown or invalid parameter."),
            "401": error_response("No or wrong admin token."),
            "403": error_response("Admin endpoints are closed."),
            "404": error_response("No such source, review, record or entry."),
            "409": error_response("Already running, or already decided."),
            "default": error_response("Any error, in the one error shape."),
        },
    }


def _object(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {}}}}


def admin_paths() -> dict[str, Any]:
    stats = {
        "get": {
            "operationId": "stats",
            "summary": "Activity: per source last run, counts, themes share; per day runs.",
            "parameters": [
                _param(
                    "days",
                    "query",
                    "Days listed under `days`, ending today (UTC).",
                    {"type": "integer", "minimum": 1, "maximum": 366, "default": 30},
                    example=7,
                )
            ],
            "responses": {
                "200": json_response("Stats", "Activity figures."),
                "400": error_response("Bad `days`."),
                "default": error_response("Any error, in the one error shape."),
            },
        }
    }
    return {
        "/api/stats": stats,
        "/api/admin/sources/{source_id}/harvest": {
            "post": _admin(
                "harvestSource",
                "Start a harvest of one source now (202), or run it in the request (wait=1).",
                {
                    "200": _object("The finished run and its retirement verdict (wait=1)."),
                    "202": _object("The run started in the background."),
                },
                parameters=[
                    _param("source_id", "path", "Source id.", {"type": "string"}),
                    _param("full", "query", "Full run (no `since`).", _FLAG),
                    _param("wait", "query", "Run inside the request.", _FLAG),
                ],
            )
        },
        "/api/admin/quarantine": {
            "get": _admin(
                "listQuarantine",
                "Records that failed to parse or validate, with reason and raw payload link.",
                {"200": _object("Open quarantine entries (with resolved=1: all).")},
                parameters=[
                    _SOURCE,
                    _param("resolved", "query", "Include resolved entries.", _FLAG),
                    _LIMIT,
                ],
            )
        },
        "/api/admin/quarantine/{entry_id}/raw": {
            "get": _admin(
                "quarantineRaw",
                "The payload of one quarantine entry, exactly as harvested.",
                {
                    "200": {
                        "description": "The raw bytes with their stored content type.",
                        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                    }
                },
                parameters=[_param("entry_id", "path", "Entry id.", {"type": "integer"})],
            )
        },
        "/api/admin/runs": {
            "get": _admin(
                "listRuns",
                "Harvest runs, newest first, each with its log of errors and anomalies.",
                {"200": _object("Runs.")},
                parameters=[_SOURCE, _LIMIT],
            )
        },
        "/api/admin/retirements": {
            "get": _admin(
                "listRetirementReviews",
                "Retirements held by the circuit breaker (status=pending by default).",
                {"200": _object("Reviews with the record ids they would retire.")},
                parameters=[
                    _param(
                        "status",
                        "query",
                        "Which reviews.",
                        {"type": "string", "enum": ["pending", "approved", "rejected", "all"]},
                    )
                ],
            )
        },
        "/api/admin/retirements/{review_id}/approve": {
            "post": _admin(
                "approveRetirement",
                "Retire the held records that are still missing.",
                {"200": _object("The retired record ids.")},
                parameters=[_REVIEW],
            )
        },
        "/api/admin/retirements/{review_id}/reject": {
            "post": _admin(
                "rejectRetirement",
                "Keep the held records; their grace period starts again.",
                {"200": _object("Rejected.")},
                parameters=[_REVIEW],
            )
        },
        "/api/admin/records/retired": {
            "get": _admin(
                "listRetiredRecords",
                "Records retired from search (kept in the store), newest first.",
                {"200": _object("Retired records.")},
                parameters=[_SOURCE, _LIMIT],
            )
        },
        "/api/admin/records/{record_id}/history": {
            "get": _admin(
                "recordHistory",
                "A record's lifecycle: first/last seen, missing, retired and revived events.",
                {"200": _object("The history.")},
                parameters=[_param("record_id", "path", "Record id.", {"type": "string"})],
            )
        },
    }


def _closed(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties),
        "properties": properties,
    }


def admin_schemas() -> dict[str, Any]:
    count = {"type": "integer", "minimum": 0}
    run = {"anyOf": [ref("Run"), {"type": "object", "nullable": True, "enum": [None]}]}
    return {
        "SourceStats": _closed(
            {
                "id": {"type": "string"},
                "last_run": run,
                "duration": nullable("number", minimum=0, description="Last run, seconds."),
                "records": count,
                "indexed": nullable("integer", minimum=0),
                "retired": count,
                "quarantined": count,
                "with_themes": count,
                "theme_share": {"type": "number", "minimum": 0, "maximum": 1},
            }
        ),
        "DayStats": _closed(
            {
                "date": {"type": "string", "format": "date"},
                "runs": count,
                "complete_runs": count,
                "records_seen": count,
                "records_new": count,
                "records_updated": count,
                "quarantined": count,
            }
        ),
        "Stats": _closed(
            {
                "sources": {"type": "array", "items": ref("SourceStats")},
                "days": {"type": "array", "items": ref("DayStats")},
            }
        ),
    }
