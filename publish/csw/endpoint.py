"""The CSW endpoint: `GET|POST` on each `[csw] paths` entry, one Flask blueprint that meets
publish.base.OutputProtocol and renders its own errors as ows:ExceptionReport.

Dispatch: KVP from the query string (or a form-encoded POST), otherwise the XML body.
The body limit (api.max_request_bytes, enforced by the app before any route) answers 413
with an ExceptionReport too. Nothing here ever answers JSON or a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import Blueprint, Response, current_app, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from moisson.config import Settings
from moisson.config_outputs import CswSettings
from moisson.errors import MoissonError
from publish.base import StateGetter
from publish.csw.capabilities import capabilities, describe_record
from publish.csw.conditions import refused
from publish.csw.errors import CswError, exception_report
from publish.csw.operations import Catalogue
from publish.csw.requests import (
    DescribeRecord,
    GetCapabilities,
    GetDomain,
    GetRecordById,
    Request,
    from_kvp,
)
from publish.csw.requests_xml import from_xml
from publish.scheme import ThemeScheme
from search_api.auth import query_roles

__all__ = ["CswProtocol"]

logger = logging.getLogger(__name__)

XML = "application/xml; charset=UTF-8"
_EXTENSION = "moisson.csw"


def _xml(element: object, status: int = 200) -> Response:
    from lxml import etree

    body = etree.tostring(element, xml_declaration=True, encoding="UTF-8")  # type: ignore[call-overload]
    return Response(body, status=status, content_type=XML)


def _single_values(pairs: Iterable[tuple[str, list[str]]]) -> dict[str, str]:
    """One value per KVP parameter (names case-insensitive); a parameter given twice with
    different values is ambiguous and refused."""
    found: dict[str, str] = {}
    for name, values in pairs:
        for value in values:
            previous = found.setdefault(name.lower(), value)
            if previous != value:
                raise CswError(
                    "InvalidParameterValue",
                    f"parameter {name!r} is given twice with different values",
                    name,
                )
    return found


class CswProtocol:
    """CSW 2.0.2 / ISO AP 1.0 (see docs/csw.md)."""

    name = "csw"

    def __init__(self, config: CswSettings) -> None:
        self.config = config  # the routes depend on it, so it is known before any request

    @classmethod
    def from_settings(cls, settings: Settings) -> CswProtocol:
        """The protocol as the app mounts it (the outputs plug point): its `[csw]` section."""
        return cls(settings.csw)

    def blueprint(self, state: StateGetter) -> Blueprint:
        blueprint = Blueprint("csw", __name__)

        def catalogue() -> Catalogue:
            app = state()
            found = current_app.extensions.get(_EXTENSION)
            # The runtime's search service (its typo vocabulary read once for all
            # protocols); a new one after an admin rule edit brings a new catalogue.
            if found is None or found.service is not app.search:
                scheme = ThemeScheme.from_thesaurus(
                    app.themer.thesaurus, tuple(app.settings.themes.languages)
                )
                found = Catalogue(app.settings.csw, app.store, app.search, scheme)
                current_app.extensions[_EXTENSION] = found
            return found  # type: ignore[no-any-return]

        def endpoint() -> Response:
            cat = catalogue()
            if (
                request.method == "POST"
                and not request.args
                and request.mimetype
                not in ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                parsed: Request = from_xml(request.get_data(cache=False))
            else:
                params = (
                    request.form if request.method == "POST" and not request.args else request.args
                )
                parsed = from_kvp(_single_values(params.lists()))
            return _xml(self._answer(cat, parsed))

        for path in self.config.paths if self.config.enabled else []:
            blueprint.add_url_rule(
                path, f"csw_{path.strip('/').replace('/', '_')}", endpoint, methods=["GET", "POST"]
            )
        blueprint.register_error_handler(Exception, self.render_error)
        return blueprint

    def _answer(self, cat: Catalogue, req: Request) -> object:
        if isinstance(req, GetCapabilities):
            url = cat.config.url or request.base_url
            return capabilities(cat.config, url, req.sections, req.accept_versions)
        if isinstance(req, DescribeRecord):
            return describe_record(req.type_names)
        roles = query_roles()
        if isinstance(req, GetDomain):
            return cat.get_domain(req, roles)
        if isinstance(req, GetRecordById):
            return cat.get_record_by_id(req, roles)
        return cat.get_records(req, roles)

    def render_error(self, exc: Exception) -> Response:
        """ows:ExceptionReport for anything raised on the CSW routes."""
        if isinstance(exc, CswError):
            error = exc
        elif isinstance(exc, ValidationError):  # a request value past a model's limit
            error = refused(exc, "request")
        elif isinstance(exc, HTTPException):
            status = exc.code or 500
            code = "OperationNotSupported" if status == 405 else "NoApplicableCode"
            error = CswError(code, exc.description or exc.name, status=status)
        elif isinstance(exc, MoissonError):
            status = exc.http_status
            if status >= 500:
                logger.error("%s: %s (detail: %s)", type(exc).__name__, exc.message, exc.detail)
            code = "InvalidParameterValue" if status == 400 else "NoApplicableCode"
            error = CswError(code, exc.message, status=200 if status < 500 else status)
        else:
            logger.exception("unhandled error in CSW", exc_info=exc)
            error = CswError(
                "NoApplicableCode", "internal error; the server logged the details", status=500
            )
        return Response(exception_report(error), status=error.status, content_type=XML)
