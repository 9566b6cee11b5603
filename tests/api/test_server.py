"""`moisson serve` really serves: gunicorn in its own process on 127.0.0.1, port 0."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from search_api.server import bind_address
from testkit.moisson_serve import serve_moisson


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
    with serve_moisson(config) as url:
        yield url


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
