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

from flask import Flask, current_app

from indexer.backends.base import SearchBackend
from indexer.store import Store
from indexer.themes import Themer
from moisson.config import Settings
from publish.csw.endpoint import CswProtocol
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
    themer: Themer = field(default=None)  # type: ignore[assignment]  # set by create_app

    def close(self) -> None:
        """Close what create_app opened itself (never what the caller passed in)."""
        for resource in reversed(self.owned):
            resource.close()
        self.owned.clear()


def state() -> AppState:
    """The current app's AppState (inside a request or app context)."""
    found: AppState = current_app.extensions[EXTENSION]
    return found


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    backend: SearchBackend | None = None,
) -> Flask:
    """Build the API. `store` and `backend`, when given, must already be open."""
    from indexer.themes import load_themer

    themer = load_themer(settings.themes)  # before opening anything: a bad file fails here
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
    app.extensions[EXTENSION] = AppState(settings, store, backend, owned, themer)

    from search_api import admin, health, openapi, records, search, sources, stats, ui

    for module in (search, records, sources, health, openapi, ui):
        app.register_blueprint(module.blueprint)
    app.register_blueprint(stats.blueprint)
    app.register_blueprint(admin.blueprint)  # every route behind admin.require_admin()
    from search_api import themes

    app.register_blueprint(themes.blueprint)
    app.register_blueprint(themes.admin_blueprint)  # behind admin.require_admin() too
    from search_api import clusters

    app.register_blueprint(clusters.blueprint)
    app.register_blueprint(clusters.admin_blueprint)  # behind admin.require_admin() too
    from publish.ogcapi_records import OgcApiRecords

    app.register_blueprint(OgcApiRecords().blueprint(state))  # OGC API - Records (publish/)
    from publish.dcat_endpoint import DcatEndpoint

    app.register_blueprint(DcatEndpoint().blueprint(state))  # DCAT-AP 3 (publish/)
    register_error_handlers(app)
    app.register_blueprint(CswProtocol(settings.csw).blueprint(state))  # [csw]; its own XML errors
    from search_api import auth

    auth.install(app)  # identity, headers, CORS, size and rate limits, access log
    logger.info("API ready with %s", type(backend).__name__)  # URLs may hold passwords
    return app
