"""Hostile input end to end: a real loopback server feeds each source kind what an attacker
or a broken server would, through `harvest_source` as the CLI and the scheduler run it.

Each run must end with a clear error in the run log, leave what was harvested before intact
(store and index), fetch nothing the document names (no XXE file read, no URL entity
fetched) and keep the process alive. The harvest URL policy is checked here too: loopback,
link-local and `file:` targets are refused unless the config allows them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harvester.http import HttpClient
from harvester.url_policy import check_url
from moisson.config import HarvestSettings, Settings
from moisson.errors import UnsafeInput
from pipeline.harvest import HarvestResult, harvest_source
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
SECRET_FILE_TEXT = "moisson-xxe-canary"
CHUNK = b"<x>" + b"a" * 65_530 + b"</x>"
GIB = 1 << 30
LIMIT = 4 << 20  # harvest.max_response_bytes in these tests


def _csw(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + body
        + '\n<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">'
        '<csw:SearchResults numberOfRecordsMatched="1" numberOfRecordsReturned="1" '
        'nextRecord="0"><x>&e;</x></csw:SearchResults></csw:GetRecordsResponse>'
    ).encode()


@dataclass
class Hostile:
    """What each path serves; what was requested, and how many bytes went out."""

    secret: Path
    requested: list[str] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    port: int = 0

    def body(self, path: str) -> tuple[bytes, str]:
        if path.startswith("/xxe-file"):
            doctype = f'<!DOCTYPE r [<!ENTITY e SYSTEM "{self.secret.as_uri()}">]>'
            return _csw(doctype), "application/xml"
        if path.startswith("/xxe-url"):
            leak = f"http://127.0.0.1:{self.port}/leak"
            return _csw(f'<!DOCTYPE r [<!ENTITY e SYSTEM "{leak}">]>'), "application/xml"
        if path.startswith("/laughs"):
            levels = ['<!ENTITY l0 "lol">'] + [
                f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
            ]
            return _csw(f'<!DOCTYPE r [{"".join(levels)}<!ENTITY e "&l9;">]>'), "application/xml"
        if path.startswith("/bad-utf8"):
            good = (ROOT / "samples" / "csw").glob("*.xml")
            record = next(iter(sorted(good))).read_bytes()
            return record.replace(b"<gco:CharacterString>", b"<gco:CharacterString>\xff\xfe", 1), (
                "application/xml"
            )
        if path.startswith("/deep-ckan"):
            deep = "[" * 200 + "]" * 200
            body = '{"success": true, "result": {"count": 1, "results": [' + deep + "]}}"
            return body.encode(), "application/json"
        if path.startswith("/deep-records"):
            deep = "[" * 100_000 + "]" * 100_000
            return ('{"type": "FeatureCollection", "features": ' + deep + "}").encode(), (
                "application/geo+json"
            )
        if path.startswith("/huge.ttl"):
            literal = "x" * 2_000_000
            ttl = (
                "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                "@prefix dct: <http://purl.org/dc/terms/> .\n"
                '<https://example.org/ds/1> a dcat:Dataset ; dct:title "Big" ;\n'
                f'  dct:description "{literal}" .\n'
            )
            return ttl.encode(), "text/turtle"
        return b"not found", "text/plain"


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Hostile]:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET_FILE_TEXT, encoding="utf-8")
    state = Hostile(secret)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            state.requested.append(self.path)
            if self.path.startswith("/endless"):
                self._endless()
                return
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, content_type = state.body(self.path)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _endless(self) -> None:
            """A 1 GiB response, streamed in chunks, with no Content-Length."""
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            try:
                while sent < GIB:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                    sent += len(CHUNK)
                self.wfile.write(b"0\r\n\r\n")
            except OSError:  # the client hung up: what we want
                pass
            state.sent["/endless"] = sent
            self.close_connection = True

        do_GET = _answer
        do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _settings(tmp_path: Path, port: int) -> Settings:
    base = f"http://127.0.0.1:{port}"
    sources: list[dict[str, Any]] = [
        {"id": "good", "kind": "csw", "url": (ROOT / "samples" / "csw").as_uri()},
    ]
    for name in ("xxe-file", "xxe-url", "laughs", "bad-utf8", "endless"):
        sources.append(
            {"id": name, "kind": "csw", "url": f"{base}/{name}", "output_schema": "iso19139"}
        )
    sources += [
        {"id": "deep-ckan", "kind": "ckan", "url": f"{base}/deep-ckan"},
        {"id": "deep-records", "kind": "ogcapi-records", "url": f"{base}/deep-records"},
        {"id": "huge-ttl", "kind": "dcat", "url": f"{base}/huge.ttl"},
    ]
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
            "index": {"url": f"sqlite:///{tmp_path / 'index.db'}"},
            "harvest": {
                "allow_files": True,
                "allowed_hosts": ["127.0.0.1"],
                "max_response_bytes": LIMIT,
                "retries": 0,
                "rate_limit": 0,
                "timeout": 10,
            },
            "duplicates": {"enabled": False},
            "sources": sources,
        }
    )


def _run(settings: Settings, source_id: str) -> tuple[HarvestResult, str, int, int]:
    """Harvest one source; (result, the stored run log, records in store, records in index)."""
    with Runtime(settings) as runtime:
        result = harvest_source(runtime, settings.source(source_id))
        [run] = runtime.store.runs(source_id, limit=1)
        records = len(list(runtime.store.iter_records()))
        return result, run.message or "", records, runtime.backend.count()


EXPECTED = {
    "xxe-file": "declaring entities",
    "xxe-url": "declaring entities",
    "laughs": "declaring entities",
    "bad-utf8": "not well-formed XML",
    "endless": "harvest.max_response_bytes",
    "deep-ckan": "nested deeper than 64 levels",
    "deep-records": "nested deeper than 64 levels",
    "huge-ttl": "a literal of 2,000,000 characters",
}


@pytest.mark.parametrize("source_id", EXPECTED)
def test_hostile_payloads_end_with_a_clear_error_and_harm_nothing(
    tmp_path: Path, hostile: Hostile, source_id: str
) -> None:
    settings = _settings(tmp_path, hostile.port)
    good, _, stored, indexed = _run(settings, "good")
    assert good.report.status is RunStatus.COMPLETE
    assert stored == indexed > 0

    result, log, after_store, after_index = _run(settings, source_id)

    assert result.report.status is RunStatus.FAILED
    assert EXPECTED[source_id] in log, log
    assert (after_store, after_index) == (stored, indexed)  # nothing lost, nothing added
    assert "/leak" not in hostile.requested  # no URL entity fetched
    assert SECRET_FILE_TEXT not in log
    if source_id == "endless":
        assert hostile.sent["/endless"] < LIMIT + (16 << 20)  # cut off early, not 1 GiB
    again, *_ = _run(settings, "good")  # the process and the store still work
    assert again.report.status in (RunStatus.COMPLETE, RunStatus.UNCHANGED)


def test_loopback_is_refused_unless_allowed(tmp_path: Path, hostile: Hostile) -> None:
    settings = _settings(tmp_path, hostile.port)
    closed = settings.model_copy(
        update={"harvest": settings.harvest.model_copy(update={"allowed_hosts": []})}
    )
    result, log, *_ = _run(closed, "laughs")
    assert result.report.status is RunStatus.FAILED
    assert "add it to harvest.allowed_hosts" in log
    assert hostile.requested == []  # refused before any byte was sent


def test_file_sources_need_allow_files(tmp_path: Path, hostile: Hostile) -> None:
    settings = _settings(tmp_path, hostile.port)
    closed = settings.model_copy(
        update={"harvest": settings.harvest.model_copy(update={"allow_files": False})}
    )
    result, log, stored, _ = _run(closed, "good")
    assert result.report.status is RunStatus.FAILED
    assert "harvest.allow_files = true" in log
    assert stored == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "(169.254.169.254); add it to"),
        ("http://[::1]:8080/csw", "(::1); add it to harvest.allowed_hosts"),
        ("http://localhost:9/csw", "localhost is a loopback"),
        ("http://0.0.0.0/", "(0.0.0.0); add it to"),
        ("ftp://example.org/catalogue.xml", "only http and https"),
        ("file:///etc/passwd", "harvest.allow_files = true"),
    ],
)
def test_the_url_policy_refuses_internal_targets(url: str, reason: str) -> None:
    with pytest.raises(UnsafeInput) as caught:
        check_url(HarvestSettings(), url)
    assert reason in caught.value.message


def test_allowed_and_denied_hosts(tmp_path: Path) -> None:
    allowed = HarvestSettings(allowed_hosts=["127.0.0.0/8"])
    check_url(allowed, "http://127.0.0.1:8080/csw")  # no error
    check_url(HarvestSettings(), "http://10.1.2.3/csw")  # private networks are allowed
    denied = HarvestSettings(denied_hosts=["10.0.0.0/8", "evil.example.org"])
    for url in ("http://10.1.2.3/csw", "https://evil.example.org/dcat"):
        with pytest.raises(UnsafeInput, match=r"harvest\.denied_hosts"):
            check_url(denied, url)


def test_a_redirect_to_an_internal_address_is_refused(hostile: Hostile) -> None:
    """The policy runs on every request httpx sends, redirects included."""
    settings = HarvestSettings(allowed_hosts=["127.0.0.1"], retries=0, rate_limit=0)
    with HttpClient(settings) as http, pytest.raises(UnsafeInput, match="link-local"):
        http.request("GET", f"http://127.0.0.1:{hostile.port}/redirect")
    assert hostile.requested == ["/redirect"]
