"""Shared test plumbing.

Real-world fixtures live in ../shared/fixtures (never copied here). Without them a test skips
with a clear reason; under CI (CI=true) a missing fixture, server or service is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


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


@pytest.fixture(autouse=True)
def _no_moisson_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's MOISSON_* settings."""
    for name in list(os.environ):
        if name.startswith("MOISSON_"):
            monkeypatch.delenv(name)
