"""Search collapse: each record goes into the index with its place in its duplicate cluster.

A `SearchBackend` shows one hit per cluster by filtering inside its query (see
moisson.record.Collapse and indexer/backends/documents.py), so the index must follow the
clusters: whenever clustering changes a canonical member or a membership, the records
concerned are indexed again. `Collapser` does both halves:

- `stamped(records)` sets `Record.collapse` from the cluster tables (batches of 1,000: one
  query for the memberships of a batch), on every path into the index (a harvested page,
  a resumed run, `moisson reindex`);
- `follow(backend)` re-indexes, from the store, the records the ClusterStore noted as
  affected since the last call (ClusterStore.take_affected): after each page, after
  retirement, after an admin split or pin and after `moisson duplicates --rebuild`. Records
  already indexed with their current role (`indexed`) are skipped, so a harvested page is
  not indexed twice.

Without a ClusterStore (duplicate detection off) records are indexed unstamped: each is
its own canonical and search shows every record.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence

from indexer.access import AccessPolicy
from indexer.backends.base import SearchBackend
from indexer.cluster_store import ClusterStore
from indexer.store import Store
from moisson.record import Collapse, Record

__all__ = ["Collapser"]

logger = logging.getLogger(__name__)

_BATCH = 1000


class Collapser:
    """Stamps records with their cluster role and keeps the index following the clusters."""

    def __init__(
        self,
        store: Store,
        clusters: ClusterStore | None,
        access: AccessPolicy | None = None,
    ) -> None:
        self.store = store
        self.clusters = clusters
        # Who may see each copy (a hit lists only the copies its caller may see); None:
        # every copy is public (tests of other concerns).
        self.access = access

    def roles(self, record_ids: Iterable[str]) -> dict[str, Collapse]:
        if self.clusters is None:
            return {}
        return self.clusters.roles(record_ids, self.access.access if self.access else None)

    def stamped(self, records: Iterable[Record]) -> Iterator[Record]:
        """`records` with `collapse` set from the current clusters (None when alone)."""
        iterator = iter(records)
        while batch := list(itertools.islice(iterator, _BATCH)):
            if self.clusters is None:
                yield from batch
                continue
            roles = self.roles(r.id for r in batch)
            for record in batch:
                role = roles.get(record.id)
                yield (
                    record
                    if record.collapse == role
                    else record.model_copy(update={"collapse": role})
                )

    def index(
        self, backend: SearchBackend, records: Sequence[Record]
    ) -> dict[str, Collapse | None]:
        """Index `records` stamped; what role each was indexed with (for `follow`)."""
        ready = list(self.stamped(records))
        backend.index(ready)
        return {r.id: r.collapse for r in ready}

    def follow(
        self, backend: SearchBackend, indexed: Mapping[str, Collapse | None] | None = None
    ) -> int:
        """Re-index the records whose cluster changed (see the module docstring); how many."""
        if self.clusters is None:
            return 0
        affected = self.clusters.take_affected()
        if not affected:
            return 0
        roles = self.roles(affected)
        done = indexed or {}
        stale = [i for i in affected if i not in done or done[i] != roles.get(i)]
        found = self.store.active(stale)
        if self.access is not None:
            found = list(self.access.stamped(found))
        ready = [r.model_copy(update={"collapse": roles.get(r.id)}) for r in found]
        for start in range(0, len(ready), _BATCH):
            backend.index(ready[start : start + _BATCH])
        logger.info("collapse: %d of %d affected records re-indexed", len(ready), len(affected))
        return len(ready)
