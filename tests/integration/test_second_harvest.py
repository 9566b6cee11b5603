"""A second harvest of an unchanged source writes nothing: every record "unchanged", no new
raw payload row. Checked for every source kind (the demo's samples, one source per kind) and
for every real DCAT document of ../shared/fixtures, where blank nodes get new labels on each
parse (issue 20, item 1)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from harvester.dcat import DcatOptions, DcatSource
from indexer.store import Store
from indexer.store.schema import raw_payloads
from moisson.plugins import known
from pipeline.cli import main
from pipeline.ingest import Ingestor
from pipeline.runs import Outcome
from testkit.http_replay import ReplayServer, Reply
from tests.conftest import SHARED_FIXTURES
from tests.integration.sinks import harvest_with

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SAMPLE_SOURCES = {
    "csw": "sample-csw",
    "dcat": "sample-dcat",
    "ckan": "sample-ckan",
    "ogcapi-records": "sample-ogcapi",
}
DCAT_DIR = SHARED_FIXTURES / "dcat"
DCAT_FILES = sorted(p for p in DCAT_DIR.rglob("*") if p.is_file() and p.suffix != ".md")


def raw_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(raw_payloads)) or 0)


def test_every_source_kind_has_a_sample_source() -> None:
    # A new source kind needs its sample here, so the second-harvest check covers it too.
    assert sorted(SAMPLE_SOURCES) == known("sources")


@pytest.mark.parametrize("kind", sorted(SAMPLE_SOURCES))
def test_a_second_harvest_of_each_kind_is_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    shutil.copytree(SAMPLES, tmp_path, dirs_exist_ok=True)
    config = tmp_path / "moisson.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("../var/", "var/"), encoding="utf-8"
    )
    source = SAMPLE_SOURCES[kind]
    assert main(["--config", str(config), "harvest", source]) == 0
    with Store(f"sqlite:///{tmp_path}/var/moisson.db") as store:
        first = store.latest_run(source)
        rows = raw_rows(store)
    assert main(["--config", str(config), "harvest", source]) == 0
    capsys.readouterr()
    with Store(f"sqlite:///{tmp_path}/var/moisson.db") as store:
        second = store.latest_run(source)
        assert raw_rows(store) == rows
    assert first is not None and second is not None and first.new > 0
    assert (second.new, second.updated, second.unchanged) == (0, 0, first.new)


@pytest.mark.parametrize("path", DCAT_FILES, ids=lambda p: str(p.relative_to(DCAT_DIR)))
def test_a_second_harvest_of_each_dcat_document_is_unchanged(
    shared_fixtures: Path, ingestor: Ingestor, path: Path
) -> None:
    body = path.read_bytes()
    options = DcatOptions(id="dcat-twice", kind="dcat", url="http://127.0.0.1/", page_size=500)
    with ReplayServer(lambda r: Reply(body, content_type="application/octet-stream")) as server:
        options = options.model_copy(update={"url": f"{server.url}/{path.name}"})
        first = harvest_with(DcatSource, options, ingestor)
        rows = raw_rows(ingestor.store)
        second = harvest_with(DcatSource, options, ingestor)
    new = first.outcomes[Outcome.NEW]  # 0 for the documents that are not usable DCAT:
    # then the second run must quarantine the same and store no new raw payload either.
    assert second.outcomes[Outcome.QUARANTINED] == first.outcomes[Outcome.QUARANTINED]
    # The paged udata documents name a next page on another host: partial both times.
    assert second.status is first.status, second.notes
    outcomes = [second.outcomes[o] for o in (Outcome.NEW, Outcome.UPDATED, Outcome.UNCHANGED)]
    assert outcomes == [0, 0, new], second.summary()
    assert raw_rows(ingestor.store) == rows
