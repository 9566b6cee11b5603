"""Shared test plumbing.

Real-world fixtures live in ../shared/fixtures (never copied here). Without them a test skips
with a clear reason; under CI (CI=true) a missing fixture, server or service is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.postgres_cluster import find_bin, postgres_cluster, temporary_database

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# A running OpenSearch node (scripts/opensearch.sh start; scripts/test.sh sets it). Not a
# MOISSON_* variable, so the per-test clean-up below leaves it alone.
OPENSEARCH_TEST_URL = os.environ.get("OPENSEARCH_TEST_URL", "").rstrip("/")


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail under CI: what CI must have is never silently skipped."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    require(SHARED_FIXTURES.is_dir(), f"shared fixtures not found at {SHARED_FIXTURES}")
    return SHARED_FIXTURES


@pytest.fixture(scope="session")
def opensearch_url() -> str:
    """Base URL of the test OpenSearch node; tests add their own alias as the path."""
    require(
        bool(OPENSEARCH_TEST_URL),
        "no OpenSearch node: run scripts/opensearch.sh start and set OPENSEARCH_TEST_URL "
        "(scripts/test.sh does both)",
    )
    return OPENSEARCH_TEST_URL


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL cluster for the whole session (testkit/postgres_cluster.py)."""
    bin_dir = find_bin()
    require(
        bin_dir is not None,
        "PostgreSQL server binaries not found under /usr/lib/postgresql "
        "(apt-get install postgresql; scripts/test.sh does it)",
    )
    assert bin_dir is not None
    with postgres_cluster(bin_dir) as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's cluster, dropped after the test."""
    with temporary_database(postgres_server) as url:
        yield url


@pytest.fixture(autouse=True)
def _no_moisson_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's MOISSON_* settings."""
    for name in list(os.environ):
        if name.startswith("MOISSON_"):
            monkeypatch.delenv(name)
