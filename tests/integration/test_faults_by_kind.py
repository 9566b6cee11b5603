"""The fault matrix of issue 7, for CSW, CKAN and DCAT sources against fault servers:
timeouts, resets, 500s, 429 + Retry-After, truncated responses, an HTML page with status 200,
an empty result set, a repeated page, a lying count, an invalid record among valid ones.

Each case: a first complete harvest of 50 records; then the source drops 5 records and the
fault strikes page 3. Every valid record stays; the status is the expected one; records are
retired only when the run was complete; the invalid record is quarantined."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import RetirementSettings, Settings
from moisson.record import Query
from pipeline.harvest import HarvestResult, harvest_source
from pipeline.retirement import Verdict
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime
from testkit.http_replay import ReplayServer, Reply, Request
from tests.integration.ckan_fault_server import CkanCatalogue
from tests.integration.csw_fault_server import HTML_ERROR, CswCatalogue
from tests.integration.dcat_fault_server import DcatCatalogue
from tests.integration.sinks import FAST_POLICY

IDS = [f"rec-{n:02d}" for n in range(1, 51)]
FAST = FAST_POLICY.model_copy(update={"timeout": 1})  # a "timeout" reply waits 2 s


@dataclass
class Kind:
    name: str
    first_start: int  # CSW startPosition is 1-based, CKAN start 0-based, DCAT page 1-based
    step: int  # how the fault key moves from one page to the next
    options: dict[str, Any]
    path: str = ""

    def catalogue(self) -> CswCatalogue | CkanCatalogue | DcatCatalogue:
        kinds = {"csw": CswCatalogue, "ckan": CkanCatalogue, "dcat": DcatCatalogue}
        return kinds[self.name](list(IDS))

    def page_start(self, page: int) -> int:
        return self.first_start + (page - 1) * self.step


KINDS = {
    "csw": Kind("csw", 1, 10, {"output_schema": "iso19139", "incremental": False}),
    "ckan": Kind("ckan", 0, 10, {"incremental": False}),
    "dcat": Kind("dcat", 1, 1, {}, path="/catalog?page=1"),
}


@dataclass
class Harness:
    kind: Kind
    catalogue: Any
    server: ReplayServer
    store: Store
    backend: SearchBackend
    settings: Settings

    def harvest(self) -> HarvestResult:
        with Runtime(self.settings, store=self.store, backend=self.backend) as runtime:
            return harvest_source(runtime, self.settings.source("src"))

    def indexed(self) -> int:
        return self.backend.search(Query(size=0)).total


@pytest.fixture(params=sorted(KINDS))
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    kind = KINDS[request.param]
    catalogue = kind.catalogue()
    backend = build_backend(f"sqlite:///{tmp_path}/index.db")
    with ReplayServer(catalogue) as server, Store(f"sqlite:///{tmp_path}/store.db") as store:
        settings = Settings(
            store={"url": store.url},
            index={"url": f"sqlite:///{tmp_path}/index.db"},
            harvest=FAST,
            retirement=RetirementSettings(grace_runs=1, breaker_share=0.5),
            sources=[
                {"id": "src", "kind": kind.name, "url": server.url + kind.path, "page_size": 10}
                | kind.options
            ],
        )
        backend.open()
        try:
            h = Harness(kind, catalogue, server, store, backend, settings)
            first = h.harvest()
            assert first.report.status is RunStatus.COMPLETE, first.report.summary()
            assert (store.count(), h.indexed()) == (50, 50)
            yield h
        finally:
            backend.close()


CUT = {
    "csw": b"<csw:GetRecordsResponse",
    "ckan": b'{"success": true, "result": {"count": 50, "res',
    "dcat": b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<catalog> a dcat:Cat",
}


def _truncated(kind: Kind) -> Reply:
    body = CUT[kind.name]
    return Reply(body + b" " * 100, truncate=len(body))


def _bad_payload(kind: Kind) -> Reply:
    return Reply(CUT[kind.name], content_type="text/turtle" if kind.name == "dcat" else "x/y")


RETRIED = {
    "500": lambda k: Reply(b"", status=500),
    "429": lambda k: Reply(b"", status=429, headers={"Retry-After": "1"}),
    "reset": lambda k: Reply(b"", reset=True),
    "truncated": _truncated,
    "timeout": lambda k: Reply(b"late", delay=2),
}
FATAL = {
    "html-200": lambda k: HTML_ERROR,
    "unparsable": _bad_payload,
}


@pytest.mark.parametrize("fault", sorted(RETRIED))
def test_a_retried_fault_ends_complete_and_retires_what_is_gone(
    harness: Harness, fault: str
) -> None:
    harness.catalogue.ids = IDS[5:]
    harness.catalogue.fail(harness.kind.page_start(3), [RETRIED[fault](harness.kind)])
    result = harness.harvest()
    assert result.report.status is RunStatus.COMPLETE, result.report.summary()
    assert (result.retirement.verdict, len(result.retirement.retired)) == (Verdict.RETIRED, 5)
    assert (harness.store.count(), harness.indexed()) == (45, 45)


@pytest.mark.parametrize("fault", sorted(FATAL))
def test_a_fatal_fault_ends_partial_keeps_everything_and_retires_nothing(
    harness: Harness, fault: str
) -> None:
    # Served on every attempt: a page that fails once is asked again and read
    # (test_flaky_pages.py); one that stays unreadable beyond the retries ends the run.
    harness.catalogue.ids = IDS[5:]
    harness.catalogue.fail(harness.kind.page_start(3), [FATAL[fault](harness.kind)] * 8)
    result = harness.harvest()
    assert result.report.status is RunStatus.PARTIAL, result.report.summary()
    assert result.report.pages == 2 and result.retirement.verdict is Verdict.NOT_ELIGIBLE
    assert (harness.store.count(), harness.indexed()) == (50, 50)


def test_a_server_down_for_good_fails_and_retires_nothing(harness: Harness) -> None:
    harness.catalogue.fail(harness.kind.first_start, [Reply(b"", status=503)] * 40)
    result = harness.harvest()
    assert result.report.status is RunStatus.FAILED
    assert (harness.store.count(), harness.indexed()) == (50, 50)


def test_an_empty_result_set_is_held_by_the_breaker(harness: Harness) -> None:
    harness.catalogue.ids = []
    result = harness.harvest()
    assert (result.report.status, result.retirement.verdict) == (
        RunStatus.COMPLETE,
        Verdict.HELD,
    )
    assert (harness.store.count(), harness.indexed()) == (50, 50)


def test_a_repeated_page_ends_partial(harness: Harness) -> None:
    kind = harness.kind
    query = {"start": [str(kind.page_start(2))], "rows": ["10"], "page": ["2"]}
    body = f'startPosition="{kind.page_start(2)}" maxRecords="10"'.encode()
    page_two = harness.catalogue(Request("GET", "/", query, body))
    harness.catalogue.ids = IDS[5:]
    harness.catalogue.fail(kind.page_start(3), [page_two])
    result = harness.harvest()
    assert result.report.status is RunStatus.PARTIAL
    assert result.report.notes  # says what went wrong: a repeated page, a paging loop
    assert result.retirement.verdict is Verdict.NOT_ELIGIBLE
    assert harness.indexed() == 50


def test_a_lying_count_ends_partial(harness: Harness) -> None:
    harness.catalogue.ids = IDS[:40]
    harness.catalogue.declared = 50
    result = harness.harvest()
    assert result.report.status is RunStatus.PARTIAL
    assert result.retirement.verdict is Verdict.NOT_ELIGIBLE
    assert harness.indexed() == 50


def test_an_invalid_record_among_valid_ones_is_quarantined(harness: Harness) -> None:
    harness.catalogue.invalid = {"rec-23"}
    result = harness.harvest()
    assert result.report.status is RunStatus.COMPLETE
    [entry] = harness.store.quarantined("src", include_resolved=False)
    assert entry["original_id"].endswith("rec-23") and "title" in entry["reason"]
    # Its last good version stays in the store and in search: the record is still at the
    # source, only unreadable this time, so it is not missing either.
    assert (harness.store.count(), harness.indexed()) == (50, 50)
    assert result.retirement.missing == 0
