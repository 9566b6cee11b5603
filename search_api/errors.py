"""Every error leaves the API in one JSON shape:

    {"error": {"status": 400, "type": "BadQuery", "message": "bbox minx must be ..."}}

- `MoissonError` subclasses map to their `http_status`; `message` is for the user, `detail`
  only goes to the log.
- werkzeug HTTP exceptions (unknown route 404, wrong method 405...) get the same shape.
- Anything else is a bug: 500 with a generic message, the traceback logged, never sent.

tests/api/test_openapi.py walks every documented endpoint to enforce the shape.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from moisson.errors import MoissonError
from search_api.serialise import error_body

__all__ = ["register_error_handlers"]

logger = logging.getLogger(__name__)

INTERNAL_MESSAGE = "internal error; the server logged the details"


def _respond(status: int, kind: str, message: str) -> tuple[Response, int]:
    return jsonify(error_body(status, kind, message)), status


def _moisson_error(exc: MoissonError) -> tuple[Response, int]:
    status = exc.http_status
    if status >= 500:
        logger.error("%s: %s (detail: %s)", type(exc).__name__, exc.message, exc.detail)
    elif exc.detail:
        logger.info("%s: %s (detail: %s)", type(exc).__name__, exc.message, exc.detail)
    return _respond(status, type(exc).__name__, exc.message)


def _http_error(exc: HTTPException) -> tuple[Response, int]:
    status = exc.code or 500
    kind = type(exc).__name__
    message = exc.description or exc.name
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    if status == 404 and kind == "NotFound":
        message = "no such endpoint or resource; see /openapi.json for the API"
    elif status == 405:
        allowed = next((v for k, v in headers if k.lower() == "allow"), "")
        message = f"method {request.method} is not allowed here; allowed: {allowed}"
    response, code = _respond(status, kind, message)
    for name, value in headers:  # keep Allow (405), Retry-After (503)...
        response.headers[name] = value
    return response, code


def _unexpected(exc: Exception) -> tuple[Response, int]:
    if isinstance(exc, HTTPException):  # Flask routes these here when no closer match exists
        return _http_error(exc)
    logger.exception("unhandled error", exc_info=exc)
    return _respond(500, "InternalError", INTERNAL_MESSAGE)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(MoissonError, _moisson_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
