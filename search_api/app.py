"""The Flask app factory.

Nothing is read or opened at import: `create_app(runtime)` receives the process's Runtime
(pipeline/runtime.py: store, backend, themer, clusters, access, built once) and hands it to
the blueprints through `app.extensions`; `state()` returns it inside a request. Under
gunicorn the runtime is built in each worker after fork (search_api/server.py), so no SQLite
connection is shared between processes.
"""

from __future__ import annotations

import logging

from flask import Flask

from moisson.plugins import known, load
from pipeline.runtime import Runtime
from publish.base import OutputProtocol
from search_api import (
    admin,
    auth,
    clusters,
    health,
    openapi,
    records,
    search,
    sources,
    stats,
    themes,
)
from search_api.errors import register_error_handlers
from search_api.state import EXTENSION, state
from webui import site

__all__ = ["STATIC_DIR", "create_app", "state"]

logger = logging.getLogger(__name__)

STATIC_DIR = site.STATIC_DIR


def create_app(runtime: Runtime) -> Flask:
    """Build the API over an opened Runtime; the caller closes it."""
    # The web interface's templates and static files (webui/: pages for people).
    app = Flask(
        __name__,
        static_folder=str(STATIC_DIR),
        static_url_path="/static",
        template_folder=str(site.TEMPLATE_DIR),
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented order
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # French titles stay readable
    app.extensions[EXTENSION] = runtime
    for module in (search, records, sources, health, openapi, stats, themes, clusters):
        app.register_blueprint(module.blueprint)
    # Admin blueprints: every route behind admin.require_admin().
    for blueprint in (admin.blueprint, themes.admin_blueprint, clusters.admin_blueprint):
        app.register_blueprint(blueprint)
    # Output protocols (publish/): every one registered at the `outputs` plug point.
    for name in known("outputs"):
        protocol: OutputProtocol = load("outputs", name)(runtime.settings)
        app.register_blueprint(protocol.blueprint(state))
    # The web interface (webui/): HTML pages with their own error pages, CSRF and CSP.
    for blueprint in site.BLUEPRINTS:
        app.register_blueprint(blueprint)
    site.install(app)
    register_error_handlers(app)
    auth.install(app)  # identity, headers, CORS, size and rate limits, access log
    logger.info("API ready with %s", type(runtime.backend).__name__)  # URLs may hold passwords
    return app
