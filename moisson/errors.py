"""One small tree of errors; every error carries a message a user can act on.

    MoissonError                 (500)
    ├── ConfigError              bad or missing configuration, caught at start
    ├── SourceError              a whole source or page could not be harvested
    │   ├── SourceUnavailable    network, timeout, 5xx: try again later      (502)
    │   ├── SourceProtocolError  the server answered, but not what the protocol says (502)
    │   └── UnsafeInput          hostile or oversized input refused          (502)
    ├── RecordRejected           one record is unusable (quarantined, never fatal)
    ├── BackendError             the search index failed                      (500)
    │   ├── BackendUnavailable   index not reachable                          (503)
    │   └── BadQuery             the user's query cannot be run               (400)
    ├── NotFound                 no such record, source or page               (404)
    └── Conflict                 busy or already decided (a run in progress)  (409)

`message` is shown to users; `detail` is for logs only. Third-party exceptions (httpx, lxml,
sqlite3, opensearch-py...) are converted in the one adapter module that calls the library,
chained with `from`, so callers never catch library types. `http_status` is read only by
search_api/.
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "BackendUnavailable",
    "BadQuery",
    "ConfigError",
    "Conflict",
    "MoissonError",
    "NotFound",
    "RecordRejected",
    "SourceError",
    "SourceProtocolError",
    "SourceUnavailable",
    "UnsafeInput",
]


class MoissonError(Exception):
    http_status = 500

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class ConfigError(MoissonError):
    pass


class SourceError(MoissonError):
    http_status = 502


class SourceUnavailable(SourceError):
    pass


class SourceProtocolError(SourceError):
    pass


class UnsafeInput(SourceError):
    pass


class RecordRejected(MoissonError):
    http_status = 422


class BackendError(MoissonError):
    pass


class BackendUnavailable(BackendError):
    http_status = 503


class BadQuery(BackendError):
    http_status = 400


class NotFound(MoissonError):
    http_status = 404


class Conflict(MoissonError):
    http_status = 409
