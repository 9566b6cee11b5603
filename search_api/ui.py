"""GET /: the search page. Plain static files (no build step, no CDN) served by Flask's own
static route at /static/; the page only talks to /api/search."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

__all__ = ["STATIC_DIR", "blueprint"]

STATIC_DIR = Path(__file__).resolve().parent / "static"


blueprint = Blueprint("ui", __name__)


@blueprint.get("/")
def index() -> Response:
    response = send_from_directory(STATIC_DIR, "index.html", mimetype="text/html")
    # Only our own script and styles run on the page, whatever a catalogue puts in a record.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'"
    )
    return response
