"""Third-party warnings during a harvest become one counted line each, without traceback
(harvester/library_warnings.py), on a DCAT document with invalid date literals."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from harvester import library_warnings
from harvester.dcat import read_dcat_document
from moisson.config import Settings
from pipeline.harvest import harvest_source
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime

BAD_DATES = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://data.example.org/ds/1> a dcat:Dataset ;
  dct:title "Haies"@fr ;
  dct:issued "2019-13-45"^^xsd:date ;
  dct:modified "not a date"^^xsd:date .
<https://data.example.org/ds/2> a dcat:Dataset ;
  dct:title "Mares"@fr ;
  dct:issued "2020-02-30"^^xsd:date .
"""


@pytest.mark.parametrize("stream_above", [None, 0], ids=["graph", "streamed"])
def test_each_bad_literal_is_one_line_without_traceback_and_counted(
    caplog: pytest.LogCaptureFixture, stream_above: int | None
) -> None:
    library_warnings.take_count("src")
    caplog.set_level(logging.INFO)
    items, _, _ = read_dcat_document(
        BAD_DATES, "text/turtle", "src", base="https://data.example.org/catalog",
        stream_above=stream_above,
    )  # fmt: skip
    records = [i.record for i in items]
    assert sorted(r.title for r in records if r) == ["Haies", "Mares"]  # nothing lost

    assert not [r for r in caplog.records if r.name.startswith("rdflib")]
    lines = [r for r in caplog.records if r.name == "harvester.library_warnings"]
    assert len(lines) == 3
    assert all(r.exc_info is None and r.levelno == logging.WARNING for r in lines)
    assert all(r.getMessage().startswith("src: ") for r in lines)
    assert any("2019-13-45" in r.getMessage() for r in lines)
    assert library_warnings.take_count("src") == 3
    assert library_warnings.count("src") == 0


def test_the_traceback_is_kept_at_debug_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    read_dcat_document(BAD_DATES, "text/turtle", "src", base="https://data.example.org/c")
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno == logging.DEBUG]
    assert tracebacks and all(r.name == "harvester.library_warnings" for r in tracebacks)
    library_warnings.take_count("src")


def test_outside_a_capture_and_in_other_threads_libraries_log_as_before(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    rdflib_logger = logging.getLogger("rdflib.term")
    seen: list[str] = []

    def other_thread() -> None:
        rdflib_logger.warning("from another thread")
        seen.append("done")

    with library_warnings.captured("src", "doc"):
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        rdflib_logger.warning("inside")
    rdflib_logger.warning("after")
    own = [r.getMessage() for r in caplog.records if r.name == "rdflib.term"]
    assert own == ["from another thread", "after"]
    assert library_warnings.take_count("src") == 1


def test_the_run_summary_counts_them(tmp_path: Path) -> None:
    """A real harvest of a DCAT file with three invalid dates: complete, nothing lost, and
    the summary line says how many library warnings went to the log."""
    folder = tmp_path / "dcat"
    folder.mkdir()
    (folder / "catalog.ttl").write_bytes(BAD_DATES)
    settings = Settings(
        store={"url": f"sqlite:///{tmp_path}/store.db"},
        index={"url": f"sqlite:///{tmp_path}/index.db"},
        harvest={"allow_files": True},
        sources=[{"id": "bad-dates", "kind": "dcat", "url": folder.as_uri()}],
    )
    with Runtime(settings) as runtime:
        result = harvest_source(runtime, settings.source("bad-dates"))
    assert result.report.status is RunStatus.COMPLETE
    assert result.report.seen == 2
    assert result.report.library_warnings == 3
    assert "3 library warning(s) in the log" in result.report.summary()
