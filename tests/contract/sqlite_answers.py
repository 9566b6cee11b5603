"""The answers of a freshly opened embedded index to a list of queries.

The SQLite-only suites (saved columns, saved posting sets) compare the answers of one index
file before and after a change of what open() reads; each opens its own backend, with the
match cache off so that every answer is computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from indexer.backends.sqlite import SqliteBackend
from moisson.record import Query, Results


def answers(path: Path, queries: Sequence[Query]) -> list[Results]:
    backend = SqliteBackend(path, cache_bytes=0)
    backend.open()
    try:
        return [backend.search(query) for query in queries]
    finally:
        backend.close()
