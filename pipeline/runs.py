"""Run bookkeeping: drive one Source through its pages and hand each page to a sink.

The harvester knows nothing of stores or indexes: the sink (pipeline/ingest.py) persists and
indexes. What this module owns is the verdict on a run:

- complete: the source ran to its end without error and delivered at least what the server
  declared it matched. Only complete runs may ever be used to retire records.
- partial: some pages were written, then the source failed or stopped early (a lying
  nextRecord, a repeated page). Everything written stays.
- failed: nothing could be harvested.
- interrupted: the process stopped mid-run (Ctrl-C, SIGTERM; a kill -9 leaves it "running").

Checkpoints: every page is written with the cursor of the next one in the same transaction
(HarvestSink.write_page), so a run left "interrupted", or "running" by a process that no
longer exists, is resumed by the next `run_source` of that source from its last written page,
under the same run id and with its counts so far. One run per source at a time: a "running"
run whose owner process is alive makes `run_source` raise Conflict.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from harvester import library_warnings
from harvester.base import Page, Source
from moisson.errors import SourceError
from moisson.record import Outcome

__all__ = [
    "HarvestSink",
    "RunReport",
    "RunStart",
    "RunStatus",
    "owner_alive",
    "run_source",
    "this_owner",
]

logger = logging.getLogger(__name__)


class RunStatus(StrEnum):
    COMPLETE = "complete"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    RUNNING = "running"
    UNCHANGED = "unchanged"  # 304 to a conditional request: nothing to do, nothing retired


# A run owned by another host counts as alive until its heartbeat is this old.
STALE_AFTER = timedelta(hours=1)


def this_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str | None, heartbeat: datetime | None) -> bool:
    """Whether the process that owns a "running" run still exists. Same host: ask the OS.
    Another host: trust its heartbeat (the last page it wrote) for STALE_AFTER."""
    host, _, pid = (owner or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if heartbeat is None:
        return False
    now = datetime.now(UTC).replace(tzinfo=None)
    return now - heartbeat < STALE_AFTER


@dataclass
class RunStart:
    """Where a run starts: a fresh run, or an interrupted one picked up at its checkpoint."""

    run_id: int
    since: datetime | None = None
    cursor: str | None = None
    resumed: bool = False
    pages: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    declared_total: int | None = None


@dataclass
class RunReport:
    source_id: str
    run_id: int
    status: RunStatus = RunStatus.FAILED
    pages: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    declared_total: int | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    resumed: bool = False
    since: datetime | None = None
    library_warnings: int = 0  # third-party warnings during the run (harvester/library_warnings)

    @property
    def seen(self) -> int:
        return sum(self.outcomes.values())

    def summary(self) -> str:
        counts = ", ".join(f"{o.value} {self.outcomes.get(o, 0)}" for o in Outcome)
        line = f"{self.source_id}: {self.status.value} — {self.seen} seen ({counts})"
        if self.declared_total is not None:
            line += f", server declared {self.declared_total}"
        if self.library_warnings:
            line += f", {self.library_warnings} library warning(s) in the log"
        if self.error:
            line += f"; error: {self.error}"
        return line


class HarvestSink(Protocol):
    """Where pages go. Implemented by pipeline.ingest.Ingestor.

    `write_page` must be atomic per page (records, quarantine entries and the run's cursor
    together) so that a crash resumes cleanly from the last written page.
    """

    def begin_run(self, source_id: str, since: datetime | None) -> int: ...

    def resume_run(self, source_id: str) -> RunStart | None:
        """The source's interrupted run to continue, or None. Raises Conflict when a run of
        the source is in progress in a live process."""
        ...

    def write_page(self, run_id: int, source_id: str, page: Page) -> Counter[Outcome]: ...

    def finish_run(self, report: RunReport) -> None: ...


ProgressCallback = Callable[[RunReport], None]


def run_source(
    source: Source,
    source_id: str,
    sink: HarvestSink,
    *,
    since: datetime | None = None,
    progress: ProgressCallback | None = None,
    resume: bool = True,
) -> RunReport:
    """Harvest one source to the end (or to its first failure) and return the verdict.

    With `resume`, an interrupted run of the source is continued from its checkpoint (with
    its own `since`) instead of starting a new one. Never raises SourceError: a source
    failure is part of the report, and the pages written before it stay written. Raises
    Conflict when the source is already being harvested.
    """
    start = sink.resume_run(source_id) if resume else None
    if start is None:
        start = RunStart(run_id=sink.begin_run(source_id, since), since=since)
    else:
        logger.info(
            "%s: resuming run %d at cursor %s after %d pages",
            source_id,
            start.run_id,
            start.cursor,
            start.pages,
        )
    report = RunReport(
        source_id=source_id,
        run_id=start.run_id,
        pages=start.pages,
        outcomes=Counter(start.outcomes),
        declared_total=start.declared_total,
        resumed=start.resumed,
        since=start.since,
    )
    library_warnings.take_count(source_id)  # this run's count starts at zero
    stopped_early = not_modified = False
    finished = start.resumed and start.pages > 0 and start.cursor is None
    try:
        pages = iter(()) if finished else source.harvest(since=start.since, cursor=start.cursor)
        for page in pages:
            report.outcomes.update(sink.write_page(report.run_id, source_id, page))
            report.pages += 1
            if page.declared_total is not None:
                report.declared_total = page.declared_total
            if page.notes:
                report.notes.extend(page.notes)
                stopped_early = True
            not_modified |= page.not_modified
            if progress is not None:
                progress(report)
    except SourceError as exc:
        report.error = exc.message
        logger.warning("harvest of %s stopped: %s (%s)", source_id, exc.message, exc.detail)
        report.status = RunStatus.PARTIAL if report.pages else RunStatus.FAILED
    except BaseException:
        # Ctrl-C, SIGTERM, a bug: the pages written stay, the next run resumes after them.
        report.status = RunStatus.INTERRUPTED
        report.error = "interrupted; the next run resumes from the last written page"
        sink.finish_run(report)
        raise
    else:
        short = report.declared_total is not None and report.seen < report.declared_total
        if short:
            report.notes.append(
                f"server declared {report.declared_total} records but {report.seen} arrived"
            )
        report.status = RunStatus.PARTIAL if stopped_early or short else RunStatus.COMPLETE
        if not_modified and report.status is RunStatus.COMPLETE and not report.seen:
            report.status = RunStatus.UNCHANGED
    report.library_warnings = library_warnings.take_count(source_id)
    sink.finish_run(report)
    return report
