"""Flaky pages (issue 18): a page whose body does not parse — truncated XML or JSON, an HTML
maintenance page sent with status 200, an error document sent with 200, a parse error — is
asked again like a 5xx, so a source behind a flaky proxy is harvested completely in one run,
for CSW, CKAN, OGC API - Records and paged DCAT, against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import Settings
from moisson.record import Query
from pipeline.harvest import HarvestResult, harvest_source
from pipeline.runs import RunReport, RunStatus
from pipeline.runtime import Runtime
from testkit.http_replay import ReplayServer, Reply, Request
from tests.integration.ckan_fault_server import CkanCatalogue
from tests.integration.csw_fault_server import HTML_ERROR, CswCatalogue, start_and_size
from tests.integration.dcat_fault_server import DcatCatalogue
from tests.integration.ogcapi_fault_server import RecordsCatalogue
from tests.integration.sinks import FAST_POLICY

IDS = [f"rec-{n:02d}" for n in range(1, 51)]

EXCEPTION_REPORT = Reply(
    b'<?xml version="1.0"?><ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows" '
    b'version="1.2.0"><ows:Exception exceptionCode="NoApplicableCode"><ows:ExceptionText>'
    b"database connection lost</ows:ExceptionText></ows:Exception></ows:ExceptionReport>"
)
CKAN_ERROR = Reply(
    json.dumps({"success": False, "error": {"message": "Solr unavailable"}}).encode(),
    content_type="application/json",
)
OGC_ERROR = Reply(
    json.dumps({"code": "ServerError", "description": "backend unavailable"}).encode(),
    content_type="application/json",
)
DCAT_ERROR = Reply(b"Service temporarily unavailable", content_type="text/turtle")


@dataclass
class Kind:
    name: str
    catalogue: Callable[[list[str]], Any]
    key: Callable[[Request], int]  # the page a request asks for
    error_200: Reply  # the protocol's own error answer, sent with status 200
    options: dict[str, Any]
    path: str = ""
    page_size_param: Callable[[Request], int] | None = None


def _query_int(name: str, default: str) -> Callable[[Request], int]:
    return lambda request: int(request.query.get(name, [default])[0])


KINDS = {
    "csw": Kind(
        "csw",
        CswCatalogue,
        lambda r: start_and_size(r)[0],
        EXCEPTION_REPORT,
        {"output_schema": "iso19139", "incremental": False},
        page_size_param=lambda r: start_and_size(r)[1],
    ),
    "ckan": Kind(
        "ckan",
        CkanCatalogue,
        _query_int("start", "0"),
        CKAN_ERROR,
        {"incremental": False},
        page_size_param=_query_int("rows", "10"),
    ),
    "ogcapi-records": Kind(
        "ogcapi-records",
        RecordsCatalogue,
        _query_int("offset", "0"),
        OGC_ERROR,
        {},
        path="/collections/metadata",
    ),
    "dcat": Kind("dcat", DcatCatalogue, _query_int("page", "1"), DCAT_ERROR, {}, "/catalog"),
}


def _truncated(real: Reply) -> Reply:
    """The page cut in the middle, with a Content-Length that matches: a proxy that gave
    up, not a connection reset (which the HTTP layer already retries)."""
    return Reply(real.body[: len(real.body) // 2], content_type=real.content_type)


def _garbage(real: Reply) -> Reply:
    return Reply(b'{"results": [oops' + b"\x00" * 8, content_type=real.content_type)


FAULTS: dict[str, Callable[[Kind, Reply], Reply]] = {
    "truncated": lambda kind, real: _truncated(real),
    "html-200": lambda kind, real: HTML_ERROR,
    "error-200": lambda kind, real: kind.error_200,
    "parse-error": lambda kind, real: _garbage(real),
}


class FlakyOnce:
    """Serves `catalogue`, but fails the first request for each page with the faults in
    turn (page 1 truncated, page 2 an HTML page, page 3 an error document...)."""

    def __init__(self, kind: Kind, ids: list[str], failures: int = 1) -> None:
        self.kind = kind
        self.catalogue = kind.catalogue(ids)
        self.failures = failures
        self.seen: dict[int, int] = {}
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Reply:
        self.requests.append(request)
        key = self.kind.key(request)
        real = self.catalogue(request)
        count = self.seen.get(key, 0)
        self.seen[key] = count + 1
        if count >= self.failures:
            return real
        fault = list(FAULTS.values())[len(self.seen) % len(FAULTS)]
        return fault(self.kind, real)


@dataclass
class Harness:
    server: ReplayServer
    store: Store
    backend: SearchBackend
    settings: Settings

    def harvest(self, progress: Callable[[RunReport], None] | None = None) -> HarvestResult:
        with Runtime(self.settings, store=self.store, backend=self.backend) as runtime:
            return harvest_source(runtime, self.settings.source("src"), progress=progress)


@pytest.fixture
def make_harness(tmp_path: Path) -> Iterator[Callable[[Kind, FlakyOnce], Harness]]:
    opened: list[tuple[ReplayServer, Store, SearchBackend]] = []

    def make(kind: Kind, handler: FlakyOnce) -> Harness:
        server = ReplayServer(handler).__enter__()
        store = Store(f"sqlite:///{tmp_path}/store.db").__enter__()
        backend = build_backend(f"sqlite:///{tmp_path}/index.db")
        backend.open()
        opened.append((server, store, backend))
        settings = Settings(
            store={"url": store.url},
            index={"url": f"sqlite:///{tmp_path}/index.db"},
            harvest=FAST_POLICY,
            sources=[
                {"id": "src", "kind": kind.name, "url": server.url + kind.path, "page_size": 10}
                | kind.options
            ],
        )
        return Harness(server, store, backend, settings)

    yield make
    for server, store, backend in opened:
        backend.close()
        store.__exit__(None, None, None)
        server.__exit__(None, None, None)


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_every_page_failing_once_is_harvested_completely_in_one_run(
    make_harness: Callable[[Kind, FlakyOnce], Harness], kind_name: str
) -> None:
    kind = KINDS[kind_name]
    handler = FlakyOnce(kind, list(IDS))
    harness = make_harness(kind, handler)
    result = harness.harvest()
    assert result.report.status is RunStatus.COMPLETE, result.report.summary()
    assert (harness.store.count(), harness.backend.search(Query(size=0)).total) == (50, 50)
    assert len(handler.seen) == 5 and set(handler.seen.values()) == {2}  # each page twice


@pytest.mark.parametrize("kind_name", ["csw", "ckan"])
def test_the_page_size_is_halved_from_the_second_failure_of_a_page(
    make_harness: Callable[[Kind, FlakyOnce], Harness], kind_name: str
) -> None:
    kind = KINDS[kind_name]
    handler = FlakyOnce(kind, list(IDS), failures=2)
    harness = make_harness(kind, handler)
    result = harness.harvest()
    assert result.report.status is RunStatus.COMPLETE, result.report.summary()
    assert harness.store.count() == 50
    assert kind.page_size_param is not None
    sizes = [
        kind.page_size_param(r)
        for r in handler.requests
        if kind.key(r) == kind.key(handler.requests[0])
    ]
    assert sizes == [10, 10, 5]  # asked, failed, asked again, failed, asked for half


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_a_page_unreadable_beyond_the_retries_ends_partial_and_the_next_run_completes(
    make_harness: Callable[[Kind, FlakyOnce], Harness], kind_name: str
) -> None:
    kind = KINDS[kind_name]
    # Page 3 stays unreadable beyond the retries in the first run: partial, 20 kept.
    handler = FlakyOnce(kind, list(IDS), failures=0)
    harness = make_harness(kind, handler)
    third = {"csw": 21, "ckan": 20, "ogcapi-records": 20, "dcat": 3}[kind_name]
    handler.catalogue.fail(third, [HTML_ERROR] * (FAST_POLICY.retries + 1))
    first = harness.harvest()
    assert first.report.status is RunStatus.PARTIAL, first.report.summary()
    assert "still unreadable after 3 attempts" in (first.report.error or "")
    assert harness.store.count() == 20
    # The next run meets the same page failing once more, and reads it on the second ask.
    handler.catalogue.fail(third, [HTML_ERROR])
    second = harness.harvest()
    assert second.report.status is RunStatus.COMPLETE, second.report.summary()
    assert harness.store.count() == 50


def _stop_after_two_pages(report: RunReport) -> None:
    if report.pages == 2:
        raise KeyboardInterrupt  # Ctrl-C: the run is interrupted, its checkpoint kept


@pytest.mark.parametrize("kind_name", sorted(KINDS))
def test_a_resumed_run_asks_its_flaky_pages_again_too(
    make_harness: Callable[[Kind, FlakyOnce], Harness], kind_name: str
) -> None:
    kind = KINDS[kind_name]
    handler = FlakyOnce(kind, list(IDS))
    harness = make_harness(kind, handler)
    with pytest.raises(KeyboardInterrupt):
        harness.harvest(progress=_stop_after_two_pages)
    assert harness.store.count() == 20
    resumed = harness.harvest()
    assert resumed.report.resumed
    assert resumed.report.status is RunStatus.COMPLETE, resumed.report.summary()
    assert harness.store.count() == 50
    assert set(handler.seen.values()) == {2}  # pages 3-5 failed once each in the resumed run
