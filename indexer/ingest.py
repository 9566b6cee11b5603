"""The harvest sink: persist each page in the store, then index what changed.

The store is written first and is the source of truth; the index is derived. If indexing
fails after the store commit, `moisson reindex` rebuilds the index from the store without
harvesting again.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from harvester.base import Page
from harvester.runs import RunReport, RunStatus
from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.record import Outcome

__all__ = ["Ingestor", "reindex_all"]

logger = logging.getLogger(__name__)


class Ingestor:
    """Implements harvester.runs.HarvestSink over one store and one backend."""

    def __init__(self, store: Store, backend: SearchBackend) -> None:
        self.store = store
        self.backend = backend

    def begin_run(self, source_id: str, since: datetime | None) -> int:
        return self.store.begin_run(source_id, since)

    def write_page(self, run_id: int, source_id: str, page: Page) -> Counter[Outcome]:
        written = self.store.write_page(
            run_id,
            source_id,
            page.items,
            cursor=page.cursor,
            declared_total=page.declared_total,
        )
        if written.changed:
            self.backend.index(written.changed)
        return written.outcomes

    def finish_run(self, report: RunReport) -> None:
        message = "; ".join(filter(None, [report.error, *report.notes])) or None
        self.store.finish_run(
            report.run_id,
            status=report.status.value,
            complete=report.status is RunStatus.COMPLETE,
            message=message,
        )


def reindex_all(store: Store, backend: SearchBackend) -> int:
    """Rebuild the whole index from the store (no network), swapping it in at the end."""
    return backend.reindex(store.iter_records())
