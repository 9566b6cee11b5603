"""The bundled samples (CSW, DCAT, CKAN and OGC API - Records folders) harvested by the real
`moisson harvest` into a real SQLite store and index, served by the real app: what the
protocol tests read. One catalogue per test module (harvesting takes a few seconds)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import Settings, load_settings
from pipeline.cli import main
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.opensearch_support import drop_alias, fresh_alias
from tests.conftest import ROOT

SAMPLES = ROOT / "samples"


@pytest.fixture(scope="module", params=["sqlite", "opensearch"])
def sample_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """The demo's config on a copy of the samples, harvested; the index on SQLite or on the
    test OpenSearch node (a throw-away alias), so every protocol test runs on both."""
    folder = tmp_path_factory.mktemp("samples")
    shutil.copytree(SAMPLES, folder, dirs_exist_ok=True)
    config = folder / "moisson.toml"
    text = config.read_text(encoding="utf-8").replace("../var/", "var/")
    alias = None
    if request.param == "opensearch":
        base = request.getfixturevalue("opensearch_url")
        alias = fresh_alias("publish")
        text = text.replace('url = "sqlite:///var/index.db"', f'url = "{base}/{alias}"')
        assert alias in text
    config.write_text(text, encoding="utf-8")
    try:
        assert main(["--config", str(config), "harvest"]) == 0
        yield load_settings(config)
    finally:
        if alias is not None:
            drop_alias(request.getfixturevalue("opensearch_url"), alias)


@pytest.fixture(scope="module")
def sample_store(sample_settings: Settings) -> Iterator[Store]:
    with Store(sample_settings.store.url) as store:
        yield store


@pytest.fixture(scope="module")
def sample_backend(sample_settings: Settings) -> Iterator[SearchBackend]:
    backend = build_backend(sample_settings.index.url)
    backend.open()
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture(scope="module")
def sample_app(
    sample_settings: Settings, sample_store: Store, sample_backend: SearchBackend
) -> Flask:
    return create_app(Runtime(sample_settings, store=sample_store, backend=sample_backend))


@pytest.fixture(scope="module")
def live_url(sample_app: Flask) -> Iterator[str]:
    """The app on a real HTTP server on 127.0.0.1 (free port), for real clients."""
    server = make_server("127.0.0.1", 0, sample_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def public_count(store: Store) -> int:
    return store.count()
