"""The plug point every output protocol meets.

An output protocol is one adapter between a wire protocol (OGC API - Records, DCAT-AP,
CSW...) and the app's Runtime (pipeline/runtime.py: settings, store, backend, themer,
the search service...). It owns three things and nothing else:

- its `name` (used in logs and in the blueprint name);
- `blueprint(state_getter)`: a Flask blueprint with its routes. The routes parse requests
  into `moisson.record.Query`, search through the shared state, and serialise with the
  pure serialisers of this package;
- `render_error(exc)`: its own error format. Each protocol answers errors the way its
  clients read them (JSON problem details for OGC API, ows:ExceptionReport XML for CSW,
  plain text for RDF), so the app-wide JSON error shape (search_api/errors.py) is not
  used on its routes. It must never leak a traceback: MoissonError gives its `message`
  and `http_status`, werkzeug HTTPException its code, anything else a generic 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from flask import Blueprint, Response

if TYPE_CHECKING:
    from moisson.config import Settings
    from pipeline.runtime import Runtime

__all__ = ["OutputProtocol", "StateGetter"]

StateGetter = Callable[[], "Runtime"]


class OutputProtocol(Protocol):
    """One output protocol. Built once per app by `from_settings` (what the `outputs` plug
    point registers, moisson/plugins.py); it holds no per-request state."""

    name: str

    @classmethod
    def from_settings(cls, settings: Settings) -> OutputProtocol:
        """The protocol configured from the settings (its own section, if it has one)."""
        ...

    def blueprint(self, state: StateGetter) -> Blueprint:
        """The protocol's routes; `state()` gives the current app's Runtime in a request.
        The blueprint registers `render_error` for every exception raised in its routes."""
        ...

    def render_error(self, exc: Exception) -> Response:
        """The protocol's own error document for `exc`, with the right HTTP status."""
        ...
