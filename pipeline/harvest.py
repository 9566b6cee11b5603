"""One harvest of one source, end to end: what the CLI, the scheduler and the admin API call.

    choose since (incremental, or a periodic full reconciliation)
    -> run_source (resumes an interrupted run from its checkpoint)
    -> retry the source's open quarantine entries (sources that can re-parse a payload)
    -> retirement (pipeline/retirement.py: only after a complete full run, with grace + breaker)

Everything comes from the Runtime the caller opened; nothing here reads config files or the
environment (except the auth secret, read by HttpClient.for_source).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harvester.base import Page, SourceContext
from harvester.http import HttpClient, Validators
from harvester.url_policy import check_file_source
from indexer.store import Store
from moisson.config import SourceSettings
from moisson.errors import UnsafeInput
from moisson.plugins import load
from moisson.record import Harvested
from pipeline.gc_policy import harvest_thresholds
from pipeline.ingest import Ingestor
from pipeline.page_workers import PagePreparer, WorkerSource, can_fork
from pipeline.retirement import RetirementResult, apply_run
from pipeline.runs import ProgressCallback, RunReport, RunStatus, run_source
from pipeline.runtime import Runtime

__all__ = [
    "HarvestResult",
    "choose_since",
    "harvest_source",
    "harvest_workers",
    "retry_quarantine",
]

logger = logging.getLogger(__name__)


@dataclass
class HarvestResult:
    report: RunReport
    retirement: RetirementResult
    retried: int = 0  # quarantined records that parse now

    def summary(self) -> str:
        line = self.report.summary()
        if self.report.resumed:
            line += " (resumed)"
        if self.retirement.retired:
            line += f"; retired {len(self.retirement.retired)}"
        elif self.retirement.review_id is not None:
            line += f"; {self.retirement.reason}"
        if self.retried:
            line += f"; {self.retried} quarantined records recovered"
        return line


def choose_since(store: Store, options: SourceSettings, *, full: bool = False) -> datetime | None:
    """None for a full run; else the start of the last complete run. Sources without an
    `incremental` option are always full. With a schedule, every `full_every`-th complete
    run is full, so deletions at the source are eventually noticed."""
    if full or not getattr(options, "incremental", False):
        return None
    last = store.last_complete_run(options.id)
    if last is None:
        return None
    every = options.schedule.full_every if options.schedule else None
    if every is not None:
        last_full = store.last_full_run_id(options.id)
        if last_full is None:
            return None
        if store.complete_runs_after(options.id, last_full) + 1 >= every:
            return None
    return last.started


Reparse = Callable[[bytes], list[Harvested]]


def retry_quarantine(
    store: Store, ingestor: Ingestor, source_id: str, run_id: int, reparse: Reparse
) -> int:
    """Parse again the open quarantine entries of earlier runs (the parser may have been
    fixed); write those that now parse as one page of `run_id`, which resolves the entries.
    Entries that still fail stay as they are."""
    recovered: list[Harvested] = []
    for sha in store.open_quarantine_payloads(source_id, except_run=run_id):
        raw, _ = store.raw_payload(sha)
        try:
            items = reparse(raw)
        except Exception as exc:  # a source's parser failing here is still only data
            logger.info("%s: quarantined payload %s still fails: %s", source_id, sha[:12], exc)
            continue
        recovered += [item for item in items if item.record is not None]
    if recovered:
        ingestor.write_page(run_id, source_id, Page(recovered))
    return len(recovered)


def harvest_workers(configured: int) -> int:
    """Processes for one harvest (`[harvest] workers`; 0: one per CPU core). 1 where
    worker processes cannot be forked, and in a process running other threads (the
    scheduler, the API's admin harvests): a forked worker could inherit a lock another
    thread holds at that moment and wait on it forever."""
    if not can_fork() or threading.active_count() > 1:
        return 1
    return configured or os.cpu_count() or 1


@dataclass
class _Refused:
    """A source whose URL the harvest policy refuses: its run fails at once, the reason in
    the run log, like any other source error."""

    error: UnsafeInput

    def harvest(self, since: datetime | None = None, cursor: str | None = None) -> Iterator[Page]:
        raise self.error


def harvest_source(
    runtime: Runtime,
    options: SourceSettings,
    *,
    full: bool = False,
    progress: ProgressCallback | None = None,
) -> HarvestResult:
    """Harvest one source and apply the run lifecycle. Raises Conflict when the source is
    already being harvested, ConfigError when its auth secret is missing."""
    # OpenSearch refreshes once at the end of the run, not after each page's write
    # (SearchBackend.deferred_refresh); the collector runs less often (gc_policy).
    with runtime.backend.deferred_refresh(), harvest_thresholds():
        return _harvest(runtime, options, full=full, progress=progress)


def _harvest(
    runtime: Runtime,
    options: SourceSettings,
    *,
    full: bool,
    progress: ProgressCallback | None,
) -> HarvestResult:
    store, backend, settings = runtime.store, runtime.backend, runtime.settings
    refused: UnsafeInput | None = None
    if options.url.startswith("file:"):  # http(s) URLs are checked on every request
        try:
            check_file_source(settings.harvest, options.url)
        except UnsafeInput as exc:
            refused = exc
    since = choose_since(store, options, full=full)
    known = {} if full else {u: Validators(*v) for u, v in store.validators(options.id).items()}
    clients: list[HttpClient] = []
    writer = os.getpid()

    def http() -> HttpClient:  # the source's view (auth, validators), built if it asks
        if not clients:
            # A harvest worker (pipeline/page_workers.py) gets its own client: the
            # writer's would share keep-alive sockets with it.
            base = (
                runtime.http if os.getpid() == writer else HttpClient(settings.harvest).__enter__()
            )
            clients.append(base.for_source(options, known))
        return clients[0]

    def fresh() -> dict[str, tuple[str | None, str | None]] | None:
        """The validators this run's responses carried (None: no HTTP client was built)."""
        if not clients:
            return None
        return {u: (v.etag, v.last_modified) for u, v in clients[0].fresh.items()}

    source: Any = (
        _Refused(refused)
        if refused
        else load("sources", options.kind)(options, SourceContext(http=http))
    )
    ingestor = Ingestor(store, backend, runtime.themer, runtime.clustering, runtime.access)
    workers = harvest_workers(settings.harvest.workers)
    from_worker: list[dict[str, tuple[str | None, str | None]] | None] = []
    run_with: Any = source
    if workers > 1 and not refused:
        logger.info("%s: read, parsed and themed in %d worker process(es)", options.id, workers - 1)
        prepare = PagePreparer(options.id, runtime.themer, runtime.clustering is not None)
        run_with = WorkerSource(
            source, prepare, workers, finish=fresh, on_finish=from_worker.append
        )
    report = run_source(run_with, options.id, ingestor, since=since, progress=progress)
    validators = from_worker[0] if from_worker else fresh()
    if report.status is RunStatus.COMPLETE and validators is not None:
        store.save_validators(options.id, validators)
    reparse: Reparse | None = getattr(source, "reparse", None)
    retried = (
        retry_quarantine(store, ingestor, options.id, report.run_id, reparse)
        if reparse is not None
        else 0
    )
    retirement = apply_run(store, backend, settings.retirement, report)
    if runtime.clustering is not None and retirement.retired:  # a retired copy leaves its cluster
        runtime.clustering.remove(retirement.retired)
        ingestor.collapser.follow(backend)  # its mates: a new canonical, fewer sources
    return HarvestResult(report, retirement, retried)
