"""`moisson serve`: the API under gunicorn, in-process (no gunicorn command line to assemble).

The app is NOT preloaded: gunicorn calls `load()` in each worker after fork, so every worker
opens its own Runtime and no SQLite connection crosses a process boundary. Only the
anonymous rate-limit table is made before the fork, to be shared. Each
worker runs 4 threads (gthread), enough for a search page's parallel requests.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from moisson.config import Settings
from moisson.errors import ConfigError
from pipeline.runtime import Runtime
from search_api.app import create_app
from search_api.rate_limit import prepare_shared

__all__ = ["THREADS", "bind_address", "serve"]

logger = logging.getLogger(__name__)

THREADS = 4


def bind_address(host: str, port: int) -> str:
    """gunicorn's bind syntax; IPv6 literals need brackets."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


class _Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # In the worker, after fork: each worker opens its own runtime (store, index).
        return create_app(Runtime(self.settings).open())


def _check_free(host: str, port: int) -> None:
    """ConfigError, with what to do, when the address is taken (another server runs)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise ConfigError(
                f"cannot serve on {bind_address(host, port)}: {exc.strerror or exc} (is another "
                "server running there?); choose another port with --port or [api] port"
            ) from exc


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Run until interrupted. Binds only to `host` (127.0.0.1 unless told otherwise)."""
    options = {
        "bind": bind_address(host, port),
        "workers": max(1, workers),
        "worker_class": "gthread",
        "threads": THREADS,
        "preload_app": False,
        "accesslog": None,  # search_api/auth.py logs each request as JSON, secrets left out
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "moisson-api",
        # gunicorn's control socket is one path per user: two servers would share it.
        "control_socket_disable": True,
    }
    _check_free(host, port)
    logger.info("serving on %s with %d worker(s)", options["bind"], options["workers"])
    # Before the workers fork: the store and the index are created once, here (two workers
    # creating a new SQLite file's tables at once would race), and a bad thesaurus or an
    # unreachable index fails now, with its message; then one anonymous rate-limit table
    # for all the workers.
    Runtime(settings).open().close()
    prepare_shared(settings.api.anonymous_rate_limit, settings.api.rate_limit_window)
    _Server(settings, options).run()
