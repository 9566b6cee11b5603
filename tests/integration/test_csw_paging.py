"""CSW paging against replayed real GetRecords pages, bent the way real servers misbehave.

The pages are the shared fixtures (GeoNetwork and pycsw responses), served over HTTP on
127.0.0.1 by startPosition; each test changes only what a lying server would change.
"""

from __future__ import annotations

import re
from pathlib import Path

from harvester.base import SourceContext
from harvester.csw import CswOptions, CswSource
from harvester.http import HttpClient
from moisson.config import HarvestSettings
from pipeline.ingest import Ingestor
from pipeline.runs import RunReport, RunStatus, run_source
from testkit.http_replay import ReplayServer, Reply, Request

EMPTY_PAGE = (
    b'<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" version="2.0.2">'
    b'<csw:SearchStatus timestamp="2024-01-01T00:00:00Z"/>'
    b'<csw:SearchResults numberOfRecordsMatched="216" numberOfRecordsReturned="0" '
    b'nextRecord="0" elementSet="full"/></csw:GetRecordsResponse>'
)


def start_position(request: Request) -> int:
    found = re.search(rb'startPosition="(\d+)"', request.body)
    return int(found.group(1)) if found else 1


def harvest(url: str, ingestor: Ingestor, page_size: int, schema: str = "iso19139") -> RunReport:
    options = CswOptions(
        id="replay", kind="csw", url=url, page_size=page_size, output_schema=schema
    )
    with HttpClient(
        HarvestSettings(backoff_base=0.01, rate_limit=0, allowed_hosts=["127.0.0.1"])
    ) as http:
        return run_source(CswSource(options, SourceContext.with_http(http)), "replay", ingestor)


def test_geonetwork_pages_are_followed_to_the_end(
    shared_fixtures: Path, ingestor: Ingestor
) -> None:
    pages = {
        n: (shared_fixtures / f"csw/udata/geonetwork_fr_iso19139_page{n}.xml").read_bytes()
        for n in (1, 3, 5)
    }
    with ReplayServer(lambda r: Reply(pages[start_position(r)])) as server:
        report = harvest(server.url, ingestor, page_size=2)
    assert report.status is RunStatus.COMPLETE
    assert (report.pages, report.seen, report.declared_total) == (3, 6, 6)
    assert ingestor.store.count() == 6
    assert ingestor.backend.count() == 6


def test_next_record_zero_too_early_does_not_cut_the_harvest(
    shared_fixtures: Path, ingestor: Ingestor
) -> None:
    pages = {
        n: (shared_fixtures / f"csw/pycsw/GetRecords_dc_page{i}.xml").read_bytes()
        for i, n in ((1, 1), (2, 5), (3, 9))
    }
    pages[1] = pages[1].replace(b'nextRecord="5"', b'nextRecord="0"')
    with ReplayServer(lambda r: Reply(pages[start_position(r)])) as server:
        report = harvest(server.url, ingestor, page_size=4, schema="dc")
    assert report.status is RunStatus.COMPLETE
    assert report.seen == 12


def test_a_server_that_loops_on_one_page_stops_as_partial(
    shared_fixtures: Path, ingestor: Ingestor
) -> None:
    page = (shared_fixtures / "csw/udata/geonetwork_fr_iso19139_page1.xml").read_bytes()
    with ReplayServer(lambda r: Reply(page)) as server:
        report = harvest(server.url, ingestor, page_size=2)
    assert report.status is RunStatus.PARTIAL
    assert any("repeated" in note for note in report.notes)
    assert len(server.requests) == 2
    assert ingestor.store.count() == 2


def test_a_server_that_overstates_its_matches_ends_partial_without_skipping(
    shared_fixtures: Path, ingestor: Ingestor
) -> None:
    # 2 records returned, numberOfRecordsMatched=216 and nextRecord=85: following nextRecord
    # would skip records 3..84. We ask for 3, get nothing, and call the run partial.
    first = (shared_fixtures / "csw/owslib/inspire_be_getrecords_iso.xml").read_bytes()
    with ReplayServer(lambda r: Reply(first if start_position(r) == 1 else EMPTY_PAGE)) as server:
        report = harvest(server.url, ingestor, page_size=2)
    assert [start_position(r) for r in server.requests] == [1, 3]
    assert report.status is RunStatus.PARTIAL
    assert report.seen == 2 and report.declared_total == 216
    assert ingestor.store.count() == 2


def test_an_exception_report_fails_the_run_with_its_message(
    shared_fixtures: Path, ingestor: Ingestor
) -> None:
    report_xml = (shared_fixtures / "csw/pycsw/ExceptionReport_invalid_request.xml").read_bytes()
    with ReplayServer(lambda r: Reply(report_xml)) as server:
        report = harvest(server.url, ingestor, page_size=10)
    assert report.status is RunStatus.FAILED
    assert report.error
    assert ingestor.store.runs()[0].status == "failed"


def test_http_error_after_some_pages_keeps_what_was_harvested(
    shared_fixtures: Path, ingestor: Ingestor
) -> None:
    page1 = (shared_fixtures / "csw/udata/geonetwork_fr_iso19139_page1.xml").read_bytes()

    def handler(request: Request) -> Reply:
        if start_position(request) == 1:
            return Reply(page1)
        return Reply(b"<html>Service unavailable</html>", status=503, content_type="text/html")

    with ReplayServer(handler) as server:
        report = harvest(server.url, ingestor, page_size=2)
    assert report.status is RunStatus.PARTIAL
    assert "HTTP 503" in (report.error or "")
    assert ingestor.store.count() == 2
    assert ingestor.backend.count() == 2


def test_capabilities_decide_the_output_schema(shared_fixtures: Path, ingestor: Ingestor) -> None:
    caps = (shared_fixtures / "csw/geonetwork/GetCapabilities_geonetwork.xml").read_bytes()
    page = (shared_fixtures / "csw/geonetwork/GetRecords_geonetwork_iso.xml").read_bytes()

    def handler(request: Request) -> Reply:
        return Reply(caps if request.method == "GET" else page)

    with ReplayServer(handler) as server:
        report = harvest(server.url, ingestor, page_size=10, schema="auto")
    assert b'outputSchema="http://www.isotc211.org/2005/gmd"' in server.requests[1].body
    assert report.outcomes and report.seen >= 1
