"""The Flask app factory.

Nothing is read or opened at import: `create_app(settings)` builds the store and the search
backend once, opens them and hands them to the blueprints through `app.extensions`. Under
gunicorn it runs in each worker after fork (search_api/server.py), so no SQLite connection
is shared between processes.

Tests pass their own opened `store` and `backend`; the app then leaves their lifecycle to the
caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, current_app

from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import Settings
from search_api.errors import register_error_handlers

__all__ = ["STATIC_DIR", "AppState", "create_app", "state"]

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
EXTENSION = "moisson"


@dataclass
class AppState:
    """What every request needs, built once per process."""

    settings: Settings
    store: Store
    backend: SearchBackend
    owned: list[Store | SearchBackend] = field(default_factory=list)  # closed by close()

    def close(self) -> None:
        """Close what create_app opened itself (never what the caller passed in)."""
        for resource in reversed(self.owned):
            resource.close()
        self.owned.clear()


def state() -> AppState:
    """The current app's AppState (inside a request or app context)."""
    found: AppState = current_app.extensions[EXTENSION]
    return found


def _no_sniff(response: Response) -> Response:
    """Browsers must trust our content types, never guess (raw payloads are foreign bytes)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    backend: SearchBackend | None = None,
) -> Flask:
    """Build the API. `store` and `backend`, when given, must already be open."""
    owned: list[Store | SearchBackend] = []
    if store is None:
        store = Store(settings.store.url).open()
        owned.append(store)
    if backend is None:
        from indexer.backends import build_backend

        try:
            backend = build_backend(settings.index.url)
            backend.open()
        except BaseException:
            for resource in owned:
                resource.close()
            raise
        owned.append(backend)

    app = Flask(__name__, static_folder=str(STATIC_DIR), static_url_path="/static")
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented order
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # French titles stay readable
    app.extensions[EXTENSION] = AppState(settings, store, backend, owned)

    from search_api import health, openapi, records, search, sources, ui

    for module in (search, records, sources, health, openapi, ui):
        app.register_blueprint(module.blueprint)
    register_error_handlers(app)
    app.after_request(_no_sniff)
    logger.info("API ready with %s", type(backend).__name__)  # URLs may hold passwords
    return app
