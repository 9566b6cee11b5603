"""CKAN harvests over real HTTP on 127.0.0.1, replaying recorded demo.ckan.org responses:
paging driven by `start`, an incremental run, CKAN error bodies, looping servers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harvester.ckan import CkanOptions, CkanSource
from pipeline.cli import main
from pipeline.ingest import Ingestor
from pipeline.runs import RunReport, RunStatus
from testkit.http_replay import ReplayServer, Reply, Request
from tests.integration.sinks import harvest_with, write_config

SEARCH = "/api/3/action/package_search"


def harvest(url: str, ingestor: Ingestor, page_size: int = 2, **kwargs: Any) -> RunReport:
    options = CkanOptions(id="ckan-replay", kind="ckan", url=url, page_size=page_size)
    return harvest_with(CkanSource, options, ingestor, **kwargs)


class Portal:
    """package_search over the recorded packages: rows/start paging, fq on
    metadata_modified, sorted as asked. The envelope is demo.ckan.org's own."""

    def __init__(self, shared_fixtures: Path) -> None:
        self.envelope = json.loads(
            (shared_fixtures / "ckan/demo_ckan_org/package_search_rows3.json").read_bytes()
        )
        packages = list(self.envelope["result"]["results"])
        packages.append(
            json.loads((shared_fixtures / "ckan/udata/dkan_french_w_license.json").read_bytes())[
                "result"
            ][0]
        )
        self.packages = sorted(packages, key=lambda p: p["metadata_modified"])

    def __call__(self, request: Request) -> Reply:
        assert request.path == SEARCH
        query = {k: v[0] for k, v in request.query.items()}
        assert query["sort"] == "metadata_modified asc"
        chosen = self.packages
        if "fq" in query:
            since = query["fq"].split("[", 1)[1].split(" TO", 1)[0].rstrip("Z")
            chosen = [p for p in chosen if p["metadata_modified"] >= since]
        start, rows = int(query["start"]), int(query["rows"])
        result = dict(
            self.envelope["result"], count=len(chosen), results=chosen[start : start + rows]
        )
        body = dict(self.envelope, result=result)
        return Reply(json.dumps(body).encode(), content_type="application/json")


def starts(server: ReplayServer) -> list[str]:
    return [r.query["start"][0] for r in server.requests]


def test_pages_are_driven_by_start_to_the_end(shared_fixtures: Path, ingestor: Ingestor) -> None:
    with ReplayServer(Portal(shared_fixtures)) as server:
        report = harvest(server.url, ingestor, page_size=2)
    assert starts(server) == ["0", "2"]
    assert report.status is RunStatus.COMPLETE
    assert (report.seen, report.declared_total) == (4, 4)
    assert ingestor.store.count() == 4
    assert ingestor.backend.count() == 4


def test_an_incremental_run_asks_only_for_what_changed(
    shared_fixtures: Path, ingestor: Ingestor
) -> None:
    portal = Portal(shared_fixtures)
    with ReplayServer(portal) as server:
        harvest(server.url, ingestor)
        first = len(server.requests)
        since = datetime(2019, 1, 1, tzinfo=UTC)
        report = harvest(server.url, ingestor, since=since)
    second = server.requests[first:]
    assert [r.query["fq"][0] for r in second] == ["metadata_modified:[2019-01-01T00:00:00Z TO *]"]
    assert report.status is RunStatus.COMPLETE
    assert report.seen == 1  # the 2019 Hauts-de-France package; the 2017 ones did not change


@pytest.mark.parametrize("status", [200, 409])
def test_a_ckan_error_body_fails_the_run_with_ckan_reason(ingestor: Ingestor, status: int) -> None:
    body = {
        "help": "http://127.0.0.1/api/3/action/help_show?name=package_search",
        "success": False,
        "error": {"__type": "Search Query Error", "message": "Search error: bad fq"},
    }
    # CKAN answers errors with HTTP 409 or 200 depending on version; 200 is the sneaky one.
    with ReplayServer(
        lambda r: Reply(json.dumps(body).encode(), status=status, content_type="application/json")
    ) as server:
        report = harvest(server.url, ingestor)
    assert report.status is RunStatus.FAILED
    assert report.error == "CKAN refused the request: Search Query Error: Search error: bad fq"


def test_a_server_that_ignores_start_stops_partial(
    shared_fixtures: Path, ingestor: Ingestor
) -> None:
    portal = Portal(shared_fixtures)

    def same_page(request: Request) -> Reply:
        reply = portal(request)
        body = json.loads(reply.body)
        body["result"]["count"] = 50
        body["result"]["results"] = portal.packages[:2]
        return Reply(json.dumps(body).encode(), content_type="application/json")

    with ReplayServer(same_page) as server:
        report = harvest(server.url, ingestor)
    assert report.status is RunStatus.PARTIAL
    assert any("repeated" in note for note in report.notes)
    assert len(server.requests) == 2
    assert ingestor.store.count() == 2


def test_a_wrong_content_type_still_parses(shared_fixtures: Path, ingestor: Ingestor) -> None:
    portal = Portal(shared_fixtures)

    def as_text(request: Request) -> Reply:
        return Reply(portal(request).body, content_type="text/html; charset=utf-8")

    with ReplayServer(as_text) as server:
        report = harvest(server.url, ingestor, page_size=10)
    assert report.status is RunStatus.COMPLETE
    assert report.seen == 4


def test_moisson_harvest_twice_is_incremental_the_second_time(
    shared_fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ReplayServer(Portal(shared_fixtures)) as server:
        config = write_config(
            tmp_path,
            [{"id": "opendata", "kind": "ckan", "url": server.url, "page_size": 3}],
        )
        assert main(["--config", str(config), "harvest"]) == 0
        first = len(server.requests)
        assert main(["--config", str(config), "harvest"]) == 0
        out = capsys.readouterr().out
    assert "opendata: complete — 4 seen (new 4," in out
    assert all("fq" not in r.query for r in server.requests[:first])
    [second] = server.requests[first:]
    assert second.query["fq"][0].startswith("metadata_modified:[")
    assert "opendata: complete — 0 seen" in out
