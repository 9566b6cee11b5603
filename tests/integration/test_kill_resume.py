"""kill -9 mid-harvest, restart, and every record is in the store and the index exactly once:
the real `moisson harvest` command in a subprocess against a slow CSW server on 127.0.0.1,
in one process (`workers = 1`), with one harvest worker process (2) and with a worker plus a
preparing pool (3): the workers die with the killed writer, and the resumed run starts at
the writer's checkpoint."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from indexer.backends import build_backend
from indexer.store import Store
from indexer.store.schema import records
from moisson.record import Query
from testkit.http_replay import ReplayServer
from tests.integration.csw_fault_server import CswCatalogue

ROOT = Path(__file__).resolve().parents[2]
IDS = [f"rec-{n:03d}" for n in range(1, 101)]


def write_config(tmp: Path, url: str, workers: int = 1) -> Path:
    config = tmp / "moisson.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///{tmp}/store.db"

[index]
url = "sqlite:///{tmp}/index.db"

[harvest]
rate_limit = 0
backoff_base = 0.01
allowed_hosts = ["127.0.0.1"]
workers = {workers}

[[sources]]
id = "slow"
kind = "csw"
url = "{url}"
page_size = 10
output_schema = "iso19139"
incremental = false
""",
        encoding="utf-8",
    )
    return config


def moisson(config: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "--config", str(config), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def pages_written(store: Store) -> int:
    runs = store.runs("slow")
    return runs[0].pages if runs else 0


def settled(catalogue: CswCatalogue) -> int:
    """The request count once no request has arrived for half a second (one the killed
    harvest's worker had sent just before dying may still be on its way)."""
    count = len(catalogue.starts)
    while True:
        time.sleep(0.5)
        if len(catalogue.starts) == count:
            return count
        count = len(catalogue.starts)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_sigkill_mid_run_then_restart_keeps_every_record_once(
    tmp_path: Path, workers: int
) -> None:
    catalogue = CswCatalogue(list(IDS), delay=0.15)
    with ReplayServer(catalogue) as server:
        config = write_config(tmp_path, server.url, workers)
        with Store(f"sqlite:///{tmp_path}/store.db") as store:
            first = moisson(config, "harvest", "slow")
            deadline = time.monotonic() + 60
            while pages_written(store) < 4:
                assert first.poll() is None, first.communicate()
                assert time.monotonic() < deadline, "the harvest never wrote 4 pages"
                time.sleep(0.02)
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=10)  # reaps it and closes its pipes
            assert first.returncode == -signal.SIGKILL
            [killed] = store.runs("slow")
            assert killed.status == "running"  # kill -9: nobody could say otherwise
            assert 4 <= killed.pages < 10
            checkpoint = int(killed.cursor or 0)
            assert checkpoint == killed.pages * 10 + 1
            requests_before = settled(catalogue)

            second = moisson(config, "harvest", "slow")
            out, err = second.communicate(timeout=120)
            assert second.returncode == 0, err.decode()
            assert "(resumed)" in out.decode()

            # Resumed where the store says, not where the killed process had got to.
            assert catalogue.starts[requests_before] == checkpoint
            [run] = store.runs("slow")
            assert (run.id, run.status, run.seen, run.pages) == (killed.id, "complete", 100, 10)
            with store.engine.connect() as conn:
                originals = list(conn.scalars(sa.select(records.c.original_id)))
            assert sorted(originals) == IDS

            listing = moisson(config, "runs", "slow")
            out, err = listing.communicate(timeout=60)
            assert listing.returncode == 0, err.decode()
            [line] = out.decode().splitlines()
            assert line.startswith(f"{killed.id}\tslow\tcomplete\t") and "seen 100/100" in line

    backend = build_backend(f"sqlite:///{tmp_path}/index.db")
    backend.open()
    try:
        assert backend.count() == 100
        assert backend.search(Query(size=0)).total == 100
    finally:
        backend.close()
