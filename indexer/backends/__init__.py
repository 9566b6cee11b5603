"""Search backends and the registry that picks one from the index URL.

A plain dict from URL scheme to backend class: adding a backend is one module and one entry.
"""

from __future__ import annotations

from collections.abc import Callable

from indexer.backends.base import SearchBackend
from indexer.backends.opensearch import OpenSearchBackend
from indexer.backends.sqlite import SqliteBackend
from moisson.errors import ConfigError

__all__ = ["BACKENDS", "build_backend"]


# URL scheme -> factory taking the whole URL. The constructor does no I/O: call open().
BACKENDS: dict[str, Callable[[str], SearchBackend]] = {
    "sqlite": SqliteBackend.from_url,
    "http": OpenSearchBackend.from_url,
    "https": OpenSearchBackend.from_url,
}


def build_backend(url: str) -> SearchBackend:
    """The backend for `url` (`sqlite:///path`; `http(s)://host:9200` for OpenSearch)."""
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    factory = BACKENDS.get(scheme)
    if factory is None:
        raise ConfigError(
            f"index URL {url!r} has an unknown scheme {scheme!r}; known schemes: "
            f"{', '.join(sorted(BACKENDS))}"
        )
    return factory(url)
