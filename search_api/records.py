"""GET /api/records/<id>: one record with its provenance, or with `?raw=1` the payload
exactly as harvested (the evidence behind every normalised field)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from moisson.errors import BadQuery
from search_api.auth import visible_record
from search_api.serialise import record_response
from search_api.state import state

__all__ = ["RAW_VALUES", "blueprint"]


blueprint = Blueprint("records", __name__)

RAW_VALUES = {"1": True, "true": True, "0": False, "false": False}


def _want_raw() -> bool:
    unknown = sorted(set(request.args) - {"raw"})
    if unknown:
        raise BadQuery(f"unknown parameter {unknown[0]!r}; the only parameter here is 'raw'")
    values = request.args.getlist("raw")
    if not values:
        return False
    if len(values) > 1 or values[0].lower() not in RAW_VALUES:
        raise BadQuery(f"raw must be one of {', '.join(RAW_VALUES)}; got {', '.join(values)!r}")
    return RAW_VALUES[values[0].lower()]


@blueprint.get("/api/records/<record_id>")
def record(record_id: str) -> dict[str, Any] | Response:
    want_raw = _want_raw()
    store = state().store
    found = visible_record(record_id)  # 404 too when the caller may not see it
    if want_raw:
        body, content_type = store.raw(record_id)
        response = Response(body, content_type=content_type)
        # The payload is someone else's document: never let a browser run it as our page.
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    return record_response(found)
