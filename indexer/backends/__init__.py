"""Search backends, picked by the index URL's scheme at the `backends` plug point
(moisson/plugins.py: `sqlite` -> the embedded index, `http`/`https` -> OpenSearch).

Adding a backend is one module and one entry there (or an entry point of another
distribution); the one contract suite (tests/contract/test_search_backend.py) says whether
it meets `SearchBackend`.
"""

from __future__ import annotations

from indexer.backends.base import SearchBackend
from moisson.errors import ConfigError
from moisson.plugins import known, load

__all__ = ["build_backend"]


def build_backend(url: str) -> SearchBackend:
    """The backend for `url` (`sqlite:///path`; `http(s)://host:9200` for OpenSearch). The
    constructor does no I/O: call open()."""
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme not in known("backends"):
        raise ConfigError(
            f"index URL {url!r} has an unknown scheme {scheme!r}; known schemes: "
            f"{', '.join(known('backends'))}"
        )
    backend: SearchBackend = load("backends", scheme)(url)
    return backend
