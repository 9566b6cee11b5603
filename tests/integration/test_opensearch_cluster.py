"""A 3-node OpenSearch cluster losing a node: searches keep answering from the replicas, and
a bulk index interrupted by the loss resumes (rejected items retried, requests re-sent to the
nodes left) and ends with every record present.

The cluster is started by scripts/opensearch.sh in its own state folder (three real nodes in
one JVM), and node 3 is stopped with `scripts/opensearch.sh stop-node 3`."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from moisson.record import Query
from tests.conftest import OPENSEARCH_TEST_URL, ROOT, require
from tests.integration.test_opensearch import generated

pytestmark = pytest.mark.integration
SCRIPT = ROOT / "scripts" / "opensearch.sh"


class Cluster:
    def __init__(self, state: Path) -> None:
        self.env = {**os.environ, "MOISSON_OPENSEARCH_STATE": str(state)}

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"opensearch.sh {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout.strip()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    # The single test node proves the runner works here; without it, skip (fail under CI).
    require(bool(OPENSEARCH_TEST_URL), "no OpenSearch: scripts/opensearch.sh is not set up")
    require(shutil.which("mvn") is not None and shutil.which("java") is not None, "no mvn/java")
    state = tmp_path_factory.mktemp("cluster")
    started = Cluster(state)
    started.run("start", "3")
    try:
        yield started
    finally:
        started.run("stop")


@pytest.fixture
def backend(cluster: Cluster) -> Iterator[SearchBackend]:
    hosts = cluster.run("hosts")
    built = build_backend(f"http://{hosts}/failover?replicas=1&shards=2")
    built.open()
    try:
        yield built
    finally:
        built.close()


def test_a_node_lost_during_searches_and_a_bulk_index(
    cluster: Cluster, backend: SearchBackend
) -> None:
    first = generated(2000)
    backend.index(first)
    errors: list[BaseException] = []
    totals: list[int] = []
    stop = threading.Event()

    def search_loop() -> None:
        while not stop.is_set():
            try:
                totals.append(backend.search(Query(size=5)).total)
            except BaseException as exc:  # recorded for the assertion
                errors.append(exc)

    more = generated(6000, source="more")
    written: list[int] = []
    searching = threading.Thread(target=search_loop)
    indexing = threading.Thread(target=lambda: written.append(backend.index(more)))
    searching.start()
    indexing.start()
    try:
        cluster.run("stop-node", "3")  # while both run
        indexing.join(timeout=300)
    finally:
        stop.set()
        searching.join(timeout=60)
    assert written == [len(more)]
    assert errors == []
    assert totals and min(totals) >= len(first)
    assert backend.count() == len(first) + len(more)
