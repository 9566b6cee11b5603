"""Behind a gateway (issue 20, item 5): the anonymous rate limit keys on the client a
trusted proxy forwarded for, and counts once for all gunicorn workers.

The first test runs the real `moisson serve` with two gunicorn workers on 127.0.0.1,
configured to trust 127.0.0.1 as its proxy: the test plays the gateway. The access log
says which worker answered each request, so the test knows both workers counted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import Settings
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.peer_process import stop_process
from tests.api.conftest import assert_error

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 12
STARTUP_SECONDS = 60


class Served:
    def __init__(self, url: str, lines: list[str]) -> None:
        self.url = url
        self.lines = lines

    def get(self, path: str, forwarded_for: str) -> int:
        request = urllib.request.Request(
            self.url + path, headers={"X-Forwarded-For": forwarded_for}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            error.close()
            return int(error.code)

    def answered(self, client: str) -> list[dict[str, Any]]:
        """Access-log lines of the API requests made for `client`."""
        found = []
        for line in list(self.lines):
            start = line.find('{"remote"')
            if start >= 0:
                entry = json.loads(line[start:])
                if entry.get("client") == client and entry["path"].startswith("/api/"):
                    found.append(entry)
        return found


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    config = tmp_path / "moisson.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "store.db"}"\n'
        f'[index]\nurl = "sqlite:///{tmp_path / "index.db"}"\n'
        f"[api]\nanonymous_rate_limit = {LIMIT}\nrate_limit_window = 3600\n"
        '[auth]\ntrusted_proxies = ["127.0.0.1"]\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOISSON_")}
    command = [sys.executable, "-m", "pipeline.cli", "--config", str(config), "serve"]
    process = subprocess.Popen(
        [*command, "--port", "0", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    listening = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Listening at:" in line:
                listening.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert listening.wait(STARTUP_SECONDS), "gunicorn did not start:\n" + "".join(lines)
        match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", "".join(lines))
        assert match is not None, "".join(lines)
        served = Served(match.group(1), lines)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:  # both workers load the app after the fork
            if len(set(re.findall(r"Booting worker with pid: (\d+)", "".join(lines)))) == 2:
                break
            time.sleep(0.1)
        while time.monotonic() < deadline:  # a busy machine: wait until the app answers
            try:
                with urllib.request.urlopen(f"{served.url}/healthz", timeout=10) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        yield served
    finally:
        stop_process(process)
        reader.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _wait_for_log(served: Served, client: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        entries = served.answered(client)
        if len(entries) >= count:
            return entries
        time.sleep(0.05)
    return served.answered(client)


@pytest.mark.integration
def test_two_workers_behind_a_trusted_proxy_share_each_clients_count(served: Served) -> None:
    client = "203.0.113.7"
    statuses: list[int] = []
    # Well past the limit, then on until both workers have answered this client. Four at a
    # time, so that a busy worker does not leave every connection to the other one.
    with ThreadPoolExecutor(max_workers=4) as pool:
        while len(statuses) < 400:
            batch = pool.map(lambda _: served.get("/api/search?size=0", client), range(3 * LIMIT))
            statuses += list(batch)
            entries = _wait_for_log(served, client, len(statuses))
            assert len(entries) == len(statuses), "requests not logged with their client"
            if len({e["pid"] for e in entries}) == 2:
                break
    entries = _wait_for_log(served, client, len(statuses))
    by_worker = {
        pid: [e["status"] for e in entries if e["pid"] == pid]
        for pid in {e["pid"] for e in entries}
    }
    assert len(by_worker) == 2, f"one worker answered everything: {by_worker}"
    # Per-worker counters would let LIMIT through each worker; shared ones LIMIT in all.
    assert statuses.count(200) == LIMIT, by_worker
    assert set(statuses) == {200, 429}
    assert all(429 in answers for answers in by_worker.values())
    # Another client behind the same proxy has its own window.
    assert served.get("/api/search?size=0", "203.0.113.8") == 200


def _app(settings: Settings, store: Store, backend: SearchBackend, proxies: list[str]) -> Any:
    changed = settings.model_copy(
        update={
            "api": settings.api.model_copy(
                update={"anonymous_rate_limit": 3, "rate_limit_window": 3600}
            ),
            "auth": settings.auth.model_copy(update={"trusted_proxies": proxies}),
        }
    )
    return create_app(Runtime(changed, store=store, backend=backend)).test_client()


def test_forwarded_for_headers_from_an_untrusted_address_are_ignored(
    settings: Settings, store: Store, backend: SearchBackend, records: Any
) -> None:
    client = _app(settings, store, backend, ["10.0.0.1"])
    spoofer = {"REMOTE_ADDR": "198.51.100.9"}
    for n in range(3):  # a new made-up address each time: still one bucket, its own
        headers = {"X-Forwarded-For": f"203.0.113.{n}"}
        assert (
            client.get("/api/search?size=0", headers=headers, environ_base=spoofer).status_code
            == 200
        )
    refused = client.get(
        "/api/search?size=0", headers={"Forwarded": "for=203.0.113.99"}, environ_base=spoofer
    )
    assert_error(refused, 429, contains="api.anonymous_rate_limit")
    gateway = {"REMOTE_ADDR": "10.0.0.1"}

    def via_gateway(forwarded: str) -> int:
        headers = {"Forwarded": forwarded}
        response = client.get("/api/search?size=0", headers=headers, environ_base=gateway)
        return int(response.status_code)

    # Behind the trusted gateway each client has its own window, not the gateway's one.
    assert [via_gateway("for=203.0.113.50") for _ in range(4)] == [200, 200, 200, 429]
    assert via_gateway("for=203.0.113.51") == 200
