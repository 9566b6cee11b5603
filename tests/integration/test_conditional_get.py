"""A DCAT dump that has not changed is not downloaded again: the second run sends the
validators of the last complete run, the server answers 304, the run is `unchanged` and
nothing is rewritten, re-indexed or retired. A paged catalogue is always fetched whole."""

from __future__ import annotations

from pathlib import Path

from moisson.config import Settings
from pipeline.harvest import harvest_source
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime
from testkit.http_replay import ReplayServer, Reply, Request

ROOT = Path(__file__).resolve().parents[2]
DUMP = (ROOT / "samples" / "dcat" / "catalogue-portail-environnement-bretagne.ttl").read_bytes()


class Dump:
    """One Turtle document with an ETag; If-None-Match with that ETag gets a 304."""

    def __init__(self) -> None:
        self.etag = '"v1"'
        self.body = DUMP
        self.server = ReplayServer(self.reply)

    def reply(self, request: Request) -> Reply:
        if request.headers.get("if-none-match") == self.etag:
            return Reply(b"", status=304, headers={"ETag": self.etag})
        return Reply(self.body, content_type="text/turtle", headers={"ETag": self.etag})


def settings_for(tmp_path: Path, url: str) -> Settings:
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path}/store.db"},
            "index": {"url": f"sqlite:///{tmp_path}/index.db"},
            "harvest": {"rate_limit": 0, "allowed_hosts": ["127.0.0.1"]},
            "sources": [{"id": "dump", "kind": "dcat", "url": url}],
        }
    )


def test_an_unchanged_dump_is_not_harvested_again(tmp_path: Path) -> None:
    dump = Dump()
    with dump.server as server:
        settings = settings_for(tmp_path, f"{server.url}/catalogue.ttl")
        with Runtime(settings) as runtime:
            first = harvest_source(runtime, settings.source("dump"))
            second = harvest_source(runtime, settings.source("dump"))
            dump.etag, dump.body = '"v2"', DUMP.replace(b"Bretagne", b"Breizh", 1)
            third = harvest_source(runtime, settings.source("dump"))
            full = harvest_source(runtime, settings.source("dump"), full=True)
            records = runtime.store.count("dump")
    assert first.report.status is RunStatus.COMPLETE and first.report.seen > 0
    assert "if-none-match" not in server.requests[0].headers
    # The second run asks conditionally and stops at the 304: nothing read, nothing retired.
    assert server.requests[1].headers.get("if-none-match") == '"v1"'
    assert second.report.status is RunStatus.UNCHANGED
    assert second.report.seen == 0 and not second.retirement.retired
    assert records == first.report.seen
    # A changed document (new ETag) is read again; --full never asks conditionally.
    assert third.report.status is RunStatus.COMPLETE and third.report.seen == first.report.seen
    assert "if-none-match" not in server.requests[-1].headers
    assert full.report.status is RunStatus.COMPLETE
