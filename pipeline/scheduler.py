"""Scheduled harvesting with APScheduler 3: one job per source that has a `schedule`.

- The job store is persistent (SQLAlchemyJobStore in the store database, table
  `scheduler.jobs_table`), so next run times survive restarts and runs missed while the
  scheduler was down are caught up.
- Missed runs of one source are coalesced into one, started at most
  `scheduler.misfire_grace_time` seconds late; later than that they are skipped.
- Never two runs of one source at once: `max_instances=1` within the scheduler, and the run
  ownership check of pipeline/runs.py across processes (a CLI or API run of the same source
  makes the scheduled one skip with a log line).
- Jobs are kept in sync with the config at start: new schedules added, changed ones
  replaced, removed or disabled sources dropped; an unchanged job keeps its next run time.

Jobs reference `pipeline.scheduler:scheduled_harvest` by name (the persistent store needs
a textual reference); the runtime it harvests with is the one passed to `build_scheduler`,
held for the life of the process (its store, index and HTTP client are shared by the job
threads, which the runtime's pieces allow).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from moisson.config import ScheduleSettings, Settings
from moisson.errors import ConfigError, Conflict
from pipeline.harvest import harvest_source
from pipeline.runtime import Runtime

__all__ = [
    "JOB_PREFIX",
    "build_scheduler",
    "next_run_times",
    "scheduled_harvest",
    "sync_jobs",
    "trigger_for",
]

logger = logging.getLogger(__name__)

JOB_PREFIX = "harvest:"
JOB_FUNC = "pipeline.scheduler:scheduled_harvest"

# The runtime of the running scheduler (one per process); set by build_scheduler.
_runtime: Runtime | None = None


def trigger_for(schedule: ScheduleSettings, timezone: str) -> BaseTrigger:
    if schedule.cron is not None:
        try:
            return CronTrigger.from_crontab(schedule.cron, timezone=timezone)
        except ValueError as exc:
            raise ConfigError(f"bad cron expression {schedule.cron!r}: {exc}") from exc
    assert schedule.interval is not None
    return IntervalTrigger(seconds=schedule.interval, timezone=timezone)


def _jobstore(runtime: Runtime) -> SQLAlchemyJobStore:
    """The persistent job store, in the store database on the store's own engine."""
    return SQLAlchemyJobStore(
        engine=runtime.store.engine, tablename=runtime.settings.scheduler.jobs_table
    )


def build_scheduler(runtime: Runtime, *, blocking: bool = True) -> BaseScheduler:
    """A scheduler (not started) whose job store lives in the store database, on the
    store's own engine (so SQLite gets the same WAL mode and busy timeout)."""
    global _runtime
    _runtime = runtime
    settings = runtime.settings
    kind = BlockingScheduler if blocking else BackgroundScheduler
    workers = max(1, sum(1 for s in settings.sources if s.enabled and s.schedule))
    return kind(
        jobstores={"default": _jobstore(runtime)},
        executors={"default": ThreadPoolExecutor(max_workers=min(workers, 8))},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": settings.scheduler.misfire_grace_time,
        },
        timezone=settings.scheduler.timezone,
    )


def sync_jobs(scheduler: BaseScheduler, settings: Settings) -> list[str]:
    """Make the job store match the config; call on a started (possibly paused) scheduler.
    Returns the ids of the scheduled sources."""
    wanted: dict[str, Any] = {}
    for source in settings.sources:
        if source.enabled and source.schedule is not None:
            wanted[JOB_PREFIX + source.id] = (
                source.id,
                trigger_for(source.schedule, settings.scheduler.timezone),
            )
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
            logger.info("removing job %s (no longer scheduled)", job.id)
            job.remove()
    for job_id, (source_id, trigger) in wanted.items():
        existing = scheduler.get_job(job_id)
        if existing is not None and str(existing.trigger) == str(trigger):
            continue  # keep its next run time, so missed runs are still caught up
        scheduler.add_job(
            JOB_FUNC,
            trigger=trigger,
            args=[source_id],
            id=job_id,
            name=f"harvest {source_id}",
            replace_existing=True,
        )
        logger.info("scheduled %s: %s", source_id, trigger)
    return [source_id for source_id, _ in wanted.values()]


def scheduled_harvest(source_id: str) -> str | None:
    """The job: one harvest of one source with the scheduler's runtime. Returns the run
    summary (None when skipped because the source is already running)."""
    runtime = _runtime
    if runtime is None:
        raise RuntimeError("scheduled_harvest called outside a scheduler built here")
    options = runtime.settings.source(source_id)
    try:
        result = harvest_source(runtime, options)
    except Conflict as exc:
        logger.warning("scheduled run of %s skipped: %s", source_id, exc.message)
        return None
    summary = result.summary()
    logger.info("scheduled run: %s", summary)
    return summary


def next_run_times(runtime: Runtime) -> dict[str, datetime | None]:
    """Source id -> the next scheduled harvest, as the scheduler's persistent job store
    holds it (None: the job is paused). Sources without a job (no schedule, or no
    scheduler has run yet) are absent. Reads only: the admin workbench shows it, the
    scheduler process owns the jobs."""
    jobstore = _jobstore(runtime)
    reader = BackgroundScheduler(timezone=runtime.settings.scheduler.timezone)  # never started
    jobstore.start(reader, "default")  # creates the jobs table if missing, as a scheduler would
    return {
        job.id.removeprefix(JOB_PREFIX): job.next_run_time
        for job in jobstore.get_all_jobs()
        if job.id.startswith(JOB_PREFIX)
    }
