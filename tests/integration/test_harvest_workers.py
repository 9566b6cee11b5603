"""Harvest workers (pipeline/page_workers.py): a harvest read, parsed and themed in worker
processes stores exactly what the same harvest in one process stores, and a source failure
in a worker ends the run as it would in-process."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from harvester.base import Page
from harvester.formats.csw_response import read_document
from indexer.backends import build_backend
from indexer.store import Store
from indexer.store.schema import records
from indexer.themes import load_themer
from moisson.config import Settings
from moisson.record import Record
from pipeline.harvest import HarvestResult, harvest_source
from pipeline.page_workers import PagePreparer, _packed, _unpacked
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "csw"


def harvest_folders(tmp: Path, folders: dict[str, Path], workers: int) -> list[HarvestResult]:
    store_url, index_url = f"sqlite:///{tmp}/store.db", f"sqlite:///{tmp}/index.db"
    settings = Settings(
        store={"url": store_url},
        index={"url": index_url},
        harvest={"allow_files": True, "rate_limit": 0, "workers": workers},
        sources=[
            {"id": name, "kind": "csw", "url": folder.as_uri()} for name, folder in folders.items()
        ],
    )
    with Runtime(settings) as runtime:
        return [harvest_source(runtime, settings.source(name)) for name in folders]


def stored(tmp: Path) -> dict[str, Any]:
    """What a harvest left: every record body without the run's own dates, and the
    duplicate clusters."""
    with Store(f"sqlite:///{tmp}/store.db") as store, store.engine.connect() as conn:
        bodies = {}
        for row in conn.execute(sa.select(records.c.id, records.c.body)):
            body = Record.model_validate_json(row.body).model_dump(mode="json")
            for key in ("first_seen", "last_seen"):
                body["provenance"].pop(key)
            bodies[row.id] = body
        clusters = Runtime(Settings(store={"url": store.url}), store=store).clusters
        membership = clusters.membership()
    return {"records": bodies, "clusters": sorted(membership.items())}


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_store_what_one_process_stores(tmp_path: Path, workers: int) -> None:
    copies = tmp_path / "copies"
    shutil.copytree(SAMPLES, copies)  # a second source republishing the same records
    folders = {"regional": SAMPLES, "national": copies}
    alone, pooled = tmp_path / "one", tmp_path / "pool"
    alone.mkdir()
    pooled.mkdir()
    expected = harvest_folders(alone, folders, 1)
    got = harvest_folders(pooled, folders, workers)
    assert [r.summary() for r in got] == [r.summary() for r in expected]
    assert all(r.report.status is RunStatus.COMPLETE for r in got)
    one, pool = stored(alone), stored(pooled)
    assert one["clusters"], "the republished copies should be clustered"
    assert any(body["themes"] for body in one["records"].values())
    assert pool == one
    index = build_backend(f"sqlite:///{pooled}/index.db")
    index.open()
    try:
        assert index.count() == len(one["records"])
    finally:
        index.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_source_failing_in_a_worker_ends_the_run_as_in_process(
    tmp_path: Path, workers: int
) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "broken.xml").write_bytes(b"<csw:GetRecordsResponse xmlns:csw='urn:x'><oops")
    [result] = harvest_folders(tmp_path, {"broken": folder}, workers)
    assert result.report.status is RunStatus.COMPLETE
    assert result.report.outcomes and sum(result.report.outcomes.values()) == 1
    missing = tmp_path / "missing"
    [failed] = harvest_folders(tmp_path, {"gone": missing}, workers)
    assert failed.report.status is RunStatus.FAILED
    assert failed.report.error


def test_a_page_crosses_to_the_writer_unchanged() -> None:
    """The wire form (a record's dict, validated again on arrival) gives back equal
    records, themes and fingerprints included."""
    items = [
        item
        for path in sorted(SAMPLES.glob("*.xml"))
        for item in read_document(path.read_bytes(), "s").items
    ]
    prepared = PagePreparer("s", load_themer(Settings().themes), True)(Page(items, cursor="7"))
    arrived = _unpacked(_packed(prepared))
    assert arrived.cursor == "7" and arrived.themed
    assert [h.model_dump() for h in arrived.items] == [h.model_dump() for h in prepared.items]
    assert sorted(arrived.fingerprints) == sorted(prepared.fingerprints)
    assert any(h.record is not None and h.record.themes for h in arrived.items)
