"""What every web-interface blueprint shares: `page_blueprint()` makes one whose errors are
HTML pages (the JSON API keeps its JSON error shape), and `render_page()` renders a template.

An error page says what happened in the user's language and never shows a traceback: a
`MoissonError` shows its user message, a werkzeug HTTP error its description, anything else
a generic 500 (the detail is logged).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, render_template
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from moisson.errors import MoissonError
from webui.i18n import t

__all__ = ["page_blueprint", "render_error", "render_page", "script_json"]

logger = logging.getLogger(__name__)


def render_page(template: str, code: int = 200, **context: Any) -> tuple[str, int]:
    """The template rendered with `context`, and the HTTP status `code`."""
    return render_template(template, **context), code


def script_json(data: Any) -> Markup:
    """`data` as JSON to put inside `<script type="application/json">` (read by our own
    scripts, never executed): every `<` escaped, so harvested text cannot close the element."""
    return Markup(json.dumps(data, ensure_ascii=False).replace("<", "\\u003c"))


def render_error(status: int, message: str) -> tuple[str, int]:
    titles = {400: "bad_request", 401: "unauthorised", 403: "forbidden", 404: "not_found"}
    title = t(f"common.error.{titles.get(status, 'server')}")
    return render_page("error.html", status, status=status, title=title, message=message)


def _moisson_error(exc: MoissonError) -> tuple[str, int]:
    if exc.http_status >= 500:
        logger.error("%s: %s (detail: %s)", type(exc).__name__, exc.message, exc.detail)
    return render_error(exc.http_status, exc.message)


def _http_error(exc: HTTPException) -> tuple[str, int]:
    return render_error(exc.code or 500, exc.description or exc.name)


def _unexpected(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    logger.exception("unhandled error on a page", exc_info=exc)
    return render_error(500, t("common.error.server_detail"))


def page_blueprint(name: str, import_name: str, url_prefix: str | None = None) -> Blueprint:
    """A blueprint for pages: HTML error pages; add it to webui.site.BLUEPRINTS."""
    blueprint = Blueprint(name, import_name, url_prefix=url_prefix)
    blueprint.register_error_handler(MoissonError, _moisson_error)
    blueprint.register_error_handler(HTTPException, _http_error)
    blueprint.register_error_handler(Exception, _unexpected)
    return blueprint
