"""OGC API - Records harvests over real HTTP on 127.0.0.1: the recorded pygeoapi items page
served in pages linked by `rel=next`, and servers whose next links loop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harvester.ogcapi_records import OgcApiRecordsOptions, OgcApiRecordsSource
from pipeline.cli import main
from pipeline.ingest import Ingestor
from pipeline.runs import RunReport, RunStatus
from testkit.http_replay import ReplayServer, Reply, Request
from tests.integration.sinks import harvest_with, write_config

ITEMS = "/collections/dutch-metadata/items"


def harvest(url: str, ingestor: Ingestor, page_size: int = 4) -> RunReport:
    options = OgcApiRecordsOptions(
        id="records-replay", kind="ogcapi-records", url=url, page_size=page_size
    )
    return harvest_with(OgcApiRecordsSource, options, ingestor)


class Collection:
    """The recorded 10 records, paged by `offset`/`limit` with relative next links."""

    def __init__(self, shared_fixtures: Path, loop: bool = False) -> None:
        path = shared_fixtures / "ogcapi/pygeoapi_demo/items_dutch-metadata_page1.json"
        self.page: dict[str, Any] = json.loads(path.read_bytes())
        self.loop = loop

    def __call__(self, request: Request) -> Reply:
        assert request.path == ITEMS
        limit = int(request.query["limit"][0])
        offset = int(request.query.get("offset", ["0"])[0])
        features = self.page["features"][offset : offset + limit]
        links = [link for link in self.page["links"] if link["rel"] != "next"]
        following = offset if self.loop else offset + limit
        if following < len(self.page["features"]):
            links.append(
                {
                    "rel": "next",
                    "type": "application/geo+json",
                    "href": f"items?offset={following}&limit={limit}",
                }
            )
        body = dict(self.page, features=features, links=links, numberMatched=10)
        body["numberReturned"] = len(features)
        return Reply(json.dumps(body).encode(), content_type="application/geo+json")


def test_next_links_are_followed_until_every_record_arrives(
    shared_fixtures: Path, ingestor: Ingestor
) -> None:
    with ReplayServer(Collection(shared_fixtures)) as server:
        report = harvest(f"{server.url}/collections/dutch-metadata", ingestor, page_size=4)
    assert [r.query.get("offset") for r in server.requests] == [None, ["4"], ["8"]]
    assert report.status is RunStatus.COMPLETE
    assert (report.pages, report.seen, report.declared_total) == (3, 10, 10)
    assert ingestor.store.count() == 10
    assert ingestor.backend.count() == 10


def test_a_next_link_to_the_same_page_stops_partial(
    shared_fixtures: Path, ingestor: Ingestor
) -> None:
    with ReplayServer(Collection(shared_fixtures, loop=True)) as server:
        report = harvest(f"{server.url}{ITEMS}", ingestor, page_size=4)
    assert report.status is RunStatus.PARTIAL
    assert any("already harvested" in n or "repeated" in n for n in report.notes)
    assert len(server.requests) <= 2
    assert ingestor.store.count() == 4


def test_an_exception_body_fails_the_run(ingestor: Ingestor) -> None:
    body = json.dumps({"code": "NotFound", "description": "Collection not found"}).encode()
    with ReplayServer(lambda r: Reply(body, content_type="application/json")) as server:
        report = harvest(f"{server.url}/collections/nope", ingestor)
    assert report.status is RunStatus.FAILED
    assert report.error and "Collection not found" in report.error


def test_moisson_harvest_of_a_records_collection(
    shared_fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ReplayServer(Collection(shared_fixtures)) as server:
        config = write_config(
            tmp_path,
            [
                {
                    "id": "georegister",
                    "kind": "ogcapi-records",
                    "url": f"{server.url}/collections/dutch-metadata",
                    "page_size": 5,
                }
            ],
        )
        code = main(["--config", str(config), "harvest"])
        out = capsys.readouterr().out
    assert code == 0, out
    assert "georegister: complete — 10 seen (new 10," in out
    main(["--config", str(config), "search", "Kaartboeck", "--json"])
    response = json.loads(capsys.readouterr().out)
    assert response["hits"][0]["title"] == "Kaartboeck 1635"
