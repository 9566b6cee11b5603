"""OpenAPI paths of the duplicate-cluster endpoints (search_api/clusters.py)."""

from __future__ import annotations

from typing import Any

from search_api.openapi_schemas import error_response

__all__ = ["cluster_paths"]

_DEFAULT = {"default": error_response("Any error, in the one error shape.")}
_ADMIN_ERRORS = {
    "400": error_response("Bad body, not a member, or unknown parameter."),
    "401": error_response("No or wrong admin token."),
    "403": error_response("Admin endpoints are closed."),
    "404": error_response("No such cluster."),
    **_DEFAULT,
}


def _object(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _admin(operation_id: str, summary: str, **extra: Any) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["admin", "clusters"],
        "x-admin": True,
        "security": [{"adminToken": []}],
        **extra,
        "responses": {"200": _object("The cluster(s) after the decision."), **_ADMIN_ERRORS},
    }


def _body(description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "description": description,
        "required": True,
        "content": {"application/json": {"schema": schema}},
    }


def cluster_paths() -> dict[str, Any]:
    cluster_id = _path("cluster_id", "Cluster id (its smallest member's record id).")
    note = {"type": "string", "description": "Why, for the record of decisions."}
    return {
        "/api/records/{record_id}/cluster": {
            "get": {
                "operationId": "getRecordCluster",
                "summary": "The duplicate cluster of a record: members with provenance, "
                "canonical member, and the evidence joining each pair (null if alone).",
                "tags": ["clusters"],
                "parameters": [_path("record_id", "Record id.")],
                "responses": {
                    "200": _object(
                        "`{record_id, cluster, related}`; cluster is null if alone; related "
                        "lists distinct records sharing a service layer or landing page."
                    ),
                    "400": error_response("Unknown parameter."),
                    "404": error_response("No such record."),
                    **_DEFAULT,
                },
            }
        },
        "/api/admin/clusters": {
            "get": _admin(
                "listClusters",
                "Every duplicate cluster with members and evidence.",
                parameters=[
                    {
                        "name": "source",
                        "in": "query",
                        "description": "Only clusters with a record of this source.",
                        "schema": {"type": "string"},
                    }
                ],
            )
        },
        "/api/admin/clusters/{cluster_id}/split": {
            "post": _admin(
                "splitCluster",
                "Take records out of a cluster, for good (kept apart across re-harvests).",
                parameters=[cluster_id],
                requestBody=_body(
                    "The records to take out.",
                    {"record_ids": {"type": "array", "items": {"type": "string"}}, "note": note},
                    ["record_ids"],
                ),
            )
        },
        "/api/admin/clusters/{cluster_id}/pin": {
            "post": _admin(
                "pinCluster",
                "Make one member the canonical record of its cluster, for good.",
                parameters=[cluster_id],
                requestBody=_body(
                    "The member to pin.",
                    {"record_id": {"type": "string"}, "note": note},
                    ["record_id"],
                ),
            )
        },
    }
