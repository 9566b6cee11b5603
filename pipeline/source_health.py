"""Each configured source's health at a glance, for the admin workbench: its record count,
its last run (status, duration, counts), whether a run is going on now, its schedule and
the next scheduled run, and what waits for an admin (held retirements).

Read only, from the runtime's store and the scheduler's job store; the same facts the CLI
(`moisson sources`, `moisson runs`) and /api/admin give, in one object per source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from indexer.store import RunRow
from pipeline.retirement import reviews
from pipeline.runs import owner_alive
from pipeline.runtime import Runtime
from pipeline.scheduler import next_run_times

__all__ = ["SourceHealth", "source_health"]


@dataclass(frozen=True)
class SourceHealth:
    id: str
    name: str
    kind: str
    url: str
    enabled: bool
    records: int
    last_run: RunRow | None
    running: bool  # a run is in progress and its owner is alive
    schedule: str | None  # "cron 0 3 * * *", "every 3600 s", None when unscheduled
    next_run: datetime | None  # from the scheduler's job store; None when not scheduled yet
    held_reviews: int  # pending retirement reviews

    @property
    def duration(self) -> timedelta | None:
        run = self.last_run
        if run is None or run.ended is None:
            return None
        return run.ended - run.started

    @property
    def status(self) -> str:
        """running, never, or the last run's status (complete, partial, failed...)."""
        if self.running:
            return "running"
        return self.last_run.status if self.last_run is not None else "never"


def _schedule(cron: str | None, interval: float | None) -> str | None:
    if cron is not None:
        return f"cron {cron}"
    if interval is not None:
        return f"every {interval:g} s"
    return None


def source_health(runtime: Runtime) -> list[SourceHealth]:
    """One SourceHealth per configured source, in config order."""
    store = runtime.store
    counts = store.counts_by_source()
    upcoming = next_run_times(runtime)
    held: dict[str, int] = {}
    for review in reviews(store, "pending"):
        held[review["source_id"]] = held.get(review["source_id"], 0) + 1
    found = []
    for source in runtime.settings.sources:
        last = store.latest_run(source.id)
        running = (
            last is not None
            and last.status == "running"
            and owner_alive(last.owner, last.heartbeat)
        )
        schedule = source.schedule
        found.append(
            SourceHealth(
                id=source.id,
                name=source.name or source.id,
                kind=source.kind,
                url=source.url,
                enabled=source.enabled,
                records=counts.get(source.id, 0),
                last_run=last,
                running=running,
                schedule=_schedule(schedule.cron, schedule.interval) if schedule else None,
                next_run=upcoming.get(source.id),
                held_reviews=held.get(source.id, 0),
            )
        )
    return found
