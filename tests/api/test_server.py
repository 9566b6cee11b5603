"""`moisson serve` really serves: gunicorn in its own process on 127.0.0.1, port 0."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from search_api.server import bind_address

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


def test_bind_address_brackets_ipv6() -> None:
    assert bind_address("127.0.0.1", 8080) == "127.0.0.1:8080"
    assert bind_address("::1", 0) == "[::1]:0"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    config = tmp_path / "moisson.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "store.db"}"\n'
        f'[index]\nurl = "sqlite:///{tmp_path / "index.db"}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOISSON_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "--config",
            str(config),
            "serve",
            "--port",
            "0",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        url = None
        seen: list[str] = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", line)
            if match:
                url = match.group(1)
                break
        assert url, "gunicorn did not start:\n" + "".join(seen)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.integration
def test_serve_answers_health_and_search(server: str) -> None:
    body = None
    for _ in range(50):  # the worker loads the app after the master starts listening
        try:
            with urllib.request.urlopen(server + "/healthz", timeout=10) as response:
                body = json.loads(response.read())
            break
        except OSError:
            time.sleep(0.2)
    assert body == {"status": "ok", "records": 0}
    with urllib.request.urlopen(server + "/api/search?q=eau", timeout=10) as response:
        assert json.loads(response.read())["total"] == 0
