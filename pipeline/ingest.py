"""The harvest sink: persist each page in the store, then index what changed.

The store is written first and is the source of truth; the index is derived. If indexing
fails after the store commit, `moisson reindex` rebuilds the index from the store without
harvesting again.

Themes are assigned here, before the store write, when the Ingestor has a `Themer`
(indexer/themes.py): the stored record carries its themes and their evidence, and
`reindex_all(..., themer)` recomputes them from the store after a thesaurus or rule change.

Duplicate clusters are updated after indexing, when the Ingestor has a `ClusterStore`
(indexer/cluster_store.py), from the records the page changed only. Records are indexed
with their place in their cluster (indexer/collapse.py, for one hit per cluster in search),
and the records whose cluster that update changed are indexed again.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from harvester.base import Page
from indexer.access import AccessPolicy
from indexer.backends.base import SearchBackend
from indexer.cluster_store import ClusterStore
from indexer.collapse import Collapser
from indexer.retheme import retheme
from indexer.store import Store
from indexer.themes import Themer
from moisson.errors import Conflict
from moisson.record import Outcome
from pipeline.page_workers import PreparedPage
from pipeline.runs import RunReport, RunStart, RunStatus, owner_alive, this_owner

__all__ = ["Ingestor", "reindex_all"]

logger = logging.getLogger(__name__)


class Ingestor:
    """Implements pipeline.runs.HarvestSink over one store and one backend."""

    def __init__(
        self,
        store: Store,
        backend: SearchBackend,
        themer: Themer | None = None,
        clusters: ClusterStore | None = None,
        access: AccessPolicy | None = None,
    ) -> None:
        self.store = store
        self.backend = backend
        self.themer = themer  # None: records are stored and indexed without themes
        # None: no duplicate detection; else the changed records of each page are
        # re-fingerprinted and their clusters updated after the store write.
        self.clusters = clusters
        # Stamps each record with who may see it (indexer/access.py) before it is stored and
        # indexed; None leaves `Record.access` as it came (tests of other concerns).
        self.access = access
        self.collapser = Collapser(store, clusters, access)

    def begin_run(self, source_id: str, since: datetime | None) -> int:
        run_id = self.store.begin_run(source_id, since, owner=this_owner())
        # Two processes may both have found no run in progress: the older row wins.
        rivals = [
            r
            for r in self.store.runs_in_progress(source_id)
            if r.id < run_id and owner_alive(r.owner, r.heartbeat)
        ]
        if rivals:
            self.store.discard_run(run_id)
            raise Conflict(f"source {source_id} is already being harvested (run {rivals[0].id})")
        return run_id

    def resume_run(self, source_id: str) -> RunStart | None:
        last = self.store.latest_run(source_id)
        if last is None or last.status not in (RunStatus.RUNNING, RunStatus.INTERRUPTED):
            return None
        if last.status == RunStatus.RUNNING and owner_alive(last.owner, last.heartbeat):
            raise Conflict(
                f"source {source_id} is already being harvested (run {last.id}, {last.owner})"
            )
        self.store.take_over_run(last.id, this_owner())
        # A crash between a page's store commit and its indexing leaves that page in the
        # store only, and the resumed run will not fetch it again: index what the run wrote.
        reindexed = 0
        for batch in self.store.records_seen_by(last.id):
            if self.access is not None:
                batch = list(self.access.stamped(batch))
            reindexed += len(self.collapser.index(self.backend, batch))
        logger.info("%s: resuming run %d; re-indexed its %d records", source_id, last.id, reindexed)
        outcomes: Counter[Outcome] = Counter(
            {
                Outcome.NEW: last.new,
                Outcome.UPDATED: last.updated,
                Outcome.UNCHANGED: last.unchanged,
                Outcome.QUARANTINED: last.quarantined,
            }
        )
        return RunStart(
            run_id=last.id,
            since=last.since,
            cursor=last.cursor,
            resumed=True,
            pages=last.pages,
            outcomes=+outcomes,
            declared_total=last.declared_total,
        )

    def write_page(self, run_id: int, source_id: str, page: Page) -> Counter[Outcome]:
        if self.access is not None:
            allowed = self.access.access(source_id)
            for item in page.items:
                if item.record is not None:
                    item.record.access = list(allowed)
        prepared = page if isinstance(page, PreparedPage) else None
        if self.themer is not None and not (prepared and prepared.themed):
            for item in page.items:
                if item.record is not None:
                    record = item.record
                    if record.provenance.source_id != source_id:  # source rules need the id
                        provenance = record.provenance.model_copy(update={"source_id": source_id})
                        record = record.model_copy(update={"provenance": provenance})
                    item.record.themes = self.themer.assign(record)
        written = self.store.write_page(
            run_id,
            source_id,
            page.items,
            cursor=page.cursor,
            declared_total=page.declared_total,
        )
        if written.changed:
            indexed = self.collapser.index(self.backend, written.changed)
            if self.clusters is not None:  # after indexing: a clustering failure never
                known = prepared.fingerprints if prepared else None
                self.clusters.update(written.changed, known)  # hides records (`--rebuild`)
                self.collapser.follow(self.backend, indexed)  # canonicals, sources changed
        return written.outcomes

    def finish_run(self, report: RunReport) -> None:
        """Record the verdict, after one last check: a complete run must have delivered as
        many *distinct* records as the server declared (a stale page served again keeps the
        item count right while records go missing); otherwise it is only partial."""
        if report.status is RunStatus.COMPLETE and report.declared_total is not None:
            distinct = self.store.distinct_seen(report.source_id, report.run_id)
            if distinct < report.declared_total:
                report.status = RunStatus.PARTIAL
                report.notes.append(
                    f"server declared {report.declared_total} records but only {distinct} "
                    "distinct ones arrived (pages repeated)"
                )
        message = "; ".join(filter(None, [report.error, *report.notes])) or None
        self.store.finish_run(
            report.run_id,
            status=report.status.value,
            complete=report.status is RunStatus.COMPLETE,
            message=message,
        )


def reindex_all(
    store: Store,
    backend: SearchBackend,
    themer: Themer | None = None,
    access: AccessPolicy | None = None,
    clusters: ClusterStore | None = None,
) -> int:
    """Rebuild the whole index from the store (no network), swapping it in at the end.

    With `clusters`, every record is indexed with its place in its duplicate cluster
    (indexer/collapse.py), so search shows one hit per cluster.

    With `access`, every record is re-stamped from the current access config on its way to
    the index, so an access change needs no re-harvest.

    With a `themer`, every record's themes are recomputed first and the changed ones written
    back to the store (indexer/retheme.py), so the index and GET /api/records agree."""
    if themer is not None:
        retheme(store, None, themer)
    records = store.iter_records()
    if access is not None:
        records = access.stamped(records)
    if clusters is not None:
        clusters.take_affected()  # every record gets its current role below
        records = Collapser(store, clusters, access).stamped(records)
    return backend.reindex(records)
