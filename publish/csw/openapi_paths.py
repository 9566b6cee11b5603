"""The CSW endpoint's entries in /openapi.json: it is served by the app, so the API
description lists it, with XML bodies (the route check accepts non-JSON routes)."""

from __future__ import annotations

from typing import Any

from moisson.config import Settings
from search_api.openapi_schemas import error_response

__all__ = ["csw_paths"]

_XML = {"application/xml": {"schema": {"type": "string"}}}


def csw_paths(settings: Settings) -> dict[str, Any]:
    """Path items for each configured CSW path (none when the endpoint is disabled)."""
    if not settings.csw.enabled:
        return {}
    answer = {
        "200": {
            "description": "The CSW 2.0.2 response document, or an ows:ExceptionReport "
            "(CSW answers its errors with status 200, as OWS 1.0.0 clients expect).",
            "content": _XML,
        },
        "413": {"description": "Request body too large (ows:ExceptionReport).", "content": _XML},
        # Routing answers before the endpoint does: the app's JSON error shape.
        "405": error_response("Method not allowed: CSW takes GET and POST."),
    }
    item = {
        "get": {
            "summary": "OGC CSW 2.0.2 / ISO AP 1.0, KVP encoding (see docs/csw.md)",
            "tags": ["csw"],
            "parameters": [
                {"name": name, "in": "query", "required": required, "schema": {"type": "string"}}
                for name, required in (("service", True), ("request", True), ("version", False))
            ],
            "responses": answer,
        },
        "post": {
            "summary": "OGC CSW 2.0.2 / ISO AP 1.0, XML encoding (see docs/csw.md)",
            "tags": ["csw"],
            "requestBody": {"required": True, "content": _XML},
            "responses": answer,
        },
    }
    return {path: item for path in settings.csw.paths}
