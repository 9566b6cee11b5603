"""The APScheduler-based scheduler running real harvests against CSW servers on 127.0.0.1,
with its job store in the real SQLite store database."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.base import BaseScheduler

from indexer.store import RunRow, Store
from moisson.config import Settings
from pipeline.runtime import Runtime
from pipeline.scheduler import JOB_PREFIX, build_scheduler, sync_jobs
from testkit.http_replay import ReplayServer
from tests.integration.csw_fault_server import CswCatalogue

ROOT = Path(__file__).resolve().parents[2]


def settings_for(tmp: Path, servers: dict[str, str], interval: float) -> Settings:
    return Settings(
        store={"url": f"sqlite:///{tmp}/store.db"},
        index={"url": f"sqlite:///{tmp}/index.db"},
        harvest={"rate_limit": 0, "backoff_base": 0.01, "allowed_hosts": ["127.0.0.1"]},
        sources=[
            {
                "id": source_id,
                "kind": "csw",
                "url": url,
                "page_size": 5,
                "output_schema": "iso19139",
                "incremental": False,
                "schedule": {"interval": interval},
            }
            for source_id, url in servers.items()
        ],
    )


@pytest.fixture
def servers() -> Iterator[dict[str, CswCatalogue | str]]:
    # Each run takes ~0.8 s (4 pages x 0.2 s): longer than the 0.3 s interval.
    alpha = CswCatalogue([f"a-{n}" for n in range(20)], delay=0.2)
    beta = CswCatalogue([f"b-{n}" for n in range(20)], delay=0.2)
    with ReplayServer(alpha) as a, ReplayServer(beta) as b:
        yield {"alpha": a.url, "beta": b.url}


def running(scheduler: BaseScheduler, seconds: float) -> None:
    scheduler.resume()
    time.sleep(seconds)
    scheduler.shutdown(wait=True)


def start_paused(settings: Settings) -> BaseScheduler:
    runtime = Runtime(settings)
    scheduler = build_scheduler(runtime, blocking=False)
    scheduler.add_listener(lambda event: runtime.close(), EVENT_SCHEDULER_SHUTDOWN)
    scheduler.start(paused=True)
    sync_jobs(scheduler, settings)
    return scheduler


def finished(store: Store, source: str) -> list[RunRow]:
    return sorted((r for r in store.runs(source) if r.ended), key=lambda r: r.id)


def test_two_sources_on_short_intervals_never_overlap_and_both_are_harvested(
    tmp_path: Path, servers: dict[str, Any]
) -> None:
    settings = settings_for(tmp_path, servers, interval=0.3)
    running(start_paused(settings), seconds=4)
    with Store(settings.store.url) as store:
        for source in ("alpha", "beta"):
            runs = finished(store, source)
            assert len(runs) >= 2, source
            assert all(r.status == "complete" and r.seen == 20 for r in runs)
            for earlier, later in itertools.pairwise(runs):
                assert earlier.ended is not None and earlier.ended <= later.started, source
            assert store.count(source) == 20


def test_the_job_store_is_persistent_and_follows_the_config(
    tmp_path: Path, servers: dict[str, Any]
) -> None:
    settings = settings_for(tmp_path, servers, interval=3600)
    first = start_paused(settings)
    planned = {job.id: job.next_run_time for job in first.get_jobs()}
    first.shutdown(wait=False)
    assert set(planned) == {JOB_PREFIX + "alpha", JOB_PREFIX + "beta"}

    with sa.create_engine(settings.store.url).connect() as conn:
        stored = conn.scalar(sa.text("SELECT count(*) FROM scheduler_jobs"))
    assert stored == 2

    only_alpha = settings.model_copy(update={"sources": settings.sources[:1]})
    second = start_paused(only_alpha)
    kept = {job.id: job.next_run_time for job in second.get_jobs()}
    second.shutdown(wait=False)
    # Unchanged job: same next run time after a restart; removed source: job gone.
    assert kept == {JOB_PREFIX + "alpha": planned[JOB_PREFIX + "alpha"]}


def test_missed_runs_are_coalesced_into_one(tmp_path: Path, servers: dict[str, Any]) -> None:
    settings = settings_for(tmp_path, servers, interval=60)
    settings = settings.model_copy(update={"sources": settings.sources[:1]})
    scheduler = start_paused(settings)
    # As if the scheduler had been down for five intervals.
    missed = datetime.now(UTC) - timedelta(seconds=300)
    scheduler.modify_job(JOB_PREFIX + "alpha", next_run_time=missed)
    running(scheduler, seconds=2.5)
    with Store(settings.store.url) as store:
        assert len(store.runs("alpha")) == 1
        assert store.count("alpha") == 20


def test_moisson_scheduler_runs_in_the_foreground_and_stops_on_sigterm(tmp_path: Path) -> None:
    catalogue = CswCatalogue([f"c-{n}" for n in range(7)])
    with ReplayServer(catalogue) as server:
        config = tmp_path / "moisson.toml"
        config.write_text(
            f'[store]\nurl = "sqlite:///{tmp_path}/store.db"\n'
            f'[index]\nurl = "sqlite:///{tmp_path}/index.db"\n'
            '[harvest]\nrate_limit = 0\nallowed_hosts = ["127.0.0.1"]\n'
            f'[[sources]]\nid = "cron"\nkind = "csw"\nurl = "{server.url}"\n'
            'output_schema = "iso19139"\nschedule = { interval = 0.5 }\n',
            encoding="utf-8",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "--config", str(config), "scheduler"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            with Store(f"sqlite:///{tmp_path}/store.db") as store:
                while not [r for r in store.runs("cron") if r.status == "complete"]:
                    assert process.poll() is None, process.communicate()
                    assert time.monotonic() < deadline, "no scheduled run completed"
                    time.sleep(0.1)
                assert store.count("cron") == 7
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()
    assert "1 sources scheduled: cron" in out.decode()
