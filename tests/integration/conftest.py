"""One real pycsw for the whole session: starting it (venv, setup_db, load) costs seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.ingest import Ingestor
from testkit.pycsw_server import PycswError, PycswServer, ensure_pycsw_venv
from tests.conftest import require
from tests.integration.sinks import open_ingestor


@pytest.fixture(scope="session")
def fixture_records(shared_fixtures: Path) -> list[Path]:
    files = sorted((shared_fixtures / "csw" / "records").glob("*.xml"))
    require(bool(files), f"no ISO records under {shared_fixtures}/csw/records")
    return files


@pytest.fixture(scope="session")
def pycsw(fixture_records: list[Path]) -> Iterator[PycswServer]:
    try:
        ensure_pycsw_venv()
    except PycswError as exc:  # no network on a first run: skip locally, fail under CI
        require(False, f"cannot install pycsw: {exc}")
    with PycswServer(fixture_records) as server:
        print(f"pycsw loaded {len(server.load.loaded)} of {len(fixture_records)} records")
        for refused, reason in server.load.reasons.items():
            print(f"  refused by pycsw: {refused.name}: {reason}")
        yield server


@pytest.fixture
def ingestor(tmp_path: Path) -> Iterator[Ingestor]:
    """A real SQLite store + index pair under the test's tmp_path."""
    with open_ingestor(tmp_path) as opened:
        yield opened
