"""Run bookkeeping: drive one Source through its pages and hand each page to a sink.

The harvester knows nothing of stores or indexes: the sink (indexer/ingest.py) persists and
indexes. What this module owns is the verdict on a run:

- complete: the source ran to its end without error and delivered at least what the server
  declared it matched. Only complete runs may ever be used to retire records.
- partial: some pages were written, then the source failed or stopped early (a lying
  nextRecord, a repeated page). Everything written stays.
- failed: nothing could be harvested.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from harvester.base import Page, Source
from moisson.errors import SourceError
from moisson.record import Outcome

__all__ = ["HarvestSink", "RunReport", "RunStatus", "run_source"]

logger = logging.getLogger(__name__)


class RunStatus(StrEnum):
    COMPLETE = "complete"
    PARTIAL = "partial"
    FAILED = "failed"


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

    @property
    def seen(self) -> int:
        return sum(self.outcomes.values())

    def summary(self) -> str:
        counts = ", ".join(f"{o.value} {self.outcomes.get(o, 0)}" for o in Outcome)
        line = f"{self.source_id}: {self.status.value} — {self.seen} seen ({counts})"
        if self.declared_total is not None:
            line += f", server declared {self.declared_total}"
        if self.error:
            line += f"; error: {self.error}"
        return line


class HarvestSink(Protocol):
    """Where pages go. Implemented by indexer.ingest.Ingestor.

    `write_page` must be atomic per page (records, quarantine entries and the run's cursor
    together) so that a crash resumes cleanly from the last written page.
    """

    def begin_run(self, source_id: str, since: datetime | None) -> int: ...

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
) -> RunReport:
    """Harvest one source to the end (or to its first failure) and return the verdict.

    Never raises SourceError: a source failure is part of the report, and the pages written
    before it stay written.
    """
    run_id = sink.begin_run(source_id, since)
    report = RunReport(source_id=source_id, run_id=run_id)
    stopped_early = False
    try:
        for page in source.harvest(since=since):
            report.outcomes.update(sink.write_page(run_id, source_id, page))
            report.pages += 1
            if page.declared_total is not None:
                report.declared_total = page.declared_total
            if page.notes:
                report.notes.extend(page.notes)
                stopped_early = True
            if progress is not None:
                progress(report)
    except SourceError as exc:
        report.error = exc.message
        logger.warning("harvest of %s stopped: %s (%s)", source_id, exc.message, exc.detail)
        report.status = RunStatus.PARTIAL if report.pages else RunStatus.FAILED
    else:
        short = report.declared_total is not None and report.seen < report.declared_total
        if short:
            report.notes.append(
                f"server declared {report.declared_total} records but {report.seen} arrived"
            )
        report.status = RunStatus.PARTIAL if stopped_early or short else RunStatus.COMPLETE
    sink.finish_run(report)
    return report
