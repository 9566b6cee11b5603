"""What an exception says to a client, for protocols that answer errors as JSON problem
details (RFC 9457: OGC API - Records, the DCAT endpoint): status, title and detail, with the
traceback of an unexpected error logged here and never sent."""

from __future__ import annotations

import logging

from werkzeug.exceptions import HTTPException

from moisson.errors import MoissonError

__all__ = ["GENERIC", "problem"]

logger = logging.getLogger(__name__)

GENERIC = "internal error; the server logged the details"


def problem(exc: Exception, where: str) -> tuple[int, str, str]:
    """(HTTP status, title, detail) for `exc`, raised in protocol `where`."""
    if isinstance(exc, MoissonError):
        if exc.http_status >= 500:
            logger.error(
                "%s: %s: %s (detail: %s)", where, type(exc).__name__, exc.message, exc.detail
            )
        return exc.http_status, type(exc).__name__, exc.message
    if isinstance(exc, HTTPException):
        return exc.code or 500, exc.name, exc.description or exc.name
    logger.exception("unhandled error in %s", where, exc_info=exc)
    return 500, "InternalError", GENERIC
