"""A catalogue harvested from the bundled samples (samples/: one CSW, DCAT, CKAN and OGC API
Records folder, as `./scripts/demo.sh` harvests them) into a real SQLite store and index,
for the QGIS project tests, and the independent count of its distinct service layers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest

from moisson.config import (
    DEFAULT_CONFIG,
    DataSettings,
    IndexSettings,
    StoreSettings,
    load_settings,
)
from moisson.record import Record
from pipeline.harvest import harvest_source
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime

SERVICE_PROTOCOLS = ("OGC:WMS", "OGC:WMTS", "OGC:WFS", "OGC API - Features")
_NAME_PARAMS = {"OGC:WMS": "layers", "OGC:WMTS": "layer", "OGC:WFS": "typename"}
_REQUEST_PARAMS = {"service", "request", "version", "layers", "layer", "typename", "typenames"}


def expected_service_layers(records: Iterable[Record]) -> set[tuple[str, str, str]]:
    """The distinct (protocol, service address, layer name) of `records`, worked out here on
    its own (not with publish/qgis/service_links.py): links of the four service protocols
    with a layer name (the link's, else the URL's LAYERS/TYPENAME, or an OGC API
    collection), an http(s) URL with a host and without user:pass@, tokens or keys."""
    found: set[tuple[str, str, str]] = set()
    for record in records:
        for link in record.links:
            if link.protocol not in SERVICE_PROTOCOLS:
                continue
            url = link.url.strip()
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname or " " in url:
                continue
            if "@" in parts.netloc:
                continue
            query = parse_qsl(parts.query, keep_blank_values=True)
            names = {k.lower() for k, _ in query}
            if names & {"token", "access_token", "apikey", "api_key", "key", "password"}:
                continue
            params = {k.lower(): v for k, v in query}
            name = (link.name or "").strip()
            path = parts.path or "/"
            if link.protocol == "OGC API - Features" and "/collections/" in path:
                path, _, rest = path.partition("/collections/")
                name, path = rest.split("/")[0], path or "/"
            if not name and link.protocol in _NAME_PARAMS:
                name = params.get(_NAME_PARAMS[link.protocol], "").split(",")[0]
                if not name and link.protocol == "OGC:WFS":
                    name = params.get("typenames", "").split(",")[0]
            if not name or " " in name:
                continue
            kept = sorted((k, v) for k, v in query if k.lower() not in _REQUEST_PARAMS)
            address = (parts.scheme, parts.netloc.lower(), path, tuple(kept))
            found.add((link.protocol, repr(address), name))
    return found


@pytest.fixture(scope="module")
def sample_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """The bundled samples, harvested; `[qgis] check_seconds = 0` so an index change shows
    at the next request."""
    tmp = tmp_path_factory.mktemp("qgis-samples")
    base = load_settings(DEFAULT_CONFIG)
    settings = base.model_copy(
        update={
            "store": StoreSettings(url=f"sqlite:///{tmp / 'store.db'}"),
            "index": IndexSettings(url=f"sqlite:///{tmp / 'index.db'}"),
            "data": DataSettings(dir=tmp),
            "qgis": base.qgis.model_copy(update={"check_seconds": 0.0}),
        }
    )
    with Runtime(settings) as runtime:
        for source in settings.sources:
            result = harvest_source(runtime, source)
            assert result.report.status is RunStatus.COMPLETE, result.summary()
        yield runtime


def sample_records(runtime: Runtime) -> list[Record]:
    return list(runtime.store.iter_records())
