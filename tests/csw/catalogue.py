"""A Moisson catalogue built from the CSW conformance records, served on loopback.

The records are harvested the way production harvests them (the `csw` source reading a
`file:` folder, through the real store, themer and index), so what the CSW endpoint
answers comes from Records Moisson parsed itself, not from hand-made fixtures.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from moisson.config import Settings
from pipeline.harvest import harvest_source
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.conftest import SHARED_FIXTURES, require

CONFORMANCE = SHARED_FIXTURES / "csw-conformance"
CITE = CONFORMANCE / "data" / "cite"
APISO = CONFORMANCE / "data" / "apiso"


SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "csw"
STAFF = "ROLE_STAFF"


def settings_for(
    tmp: Path,
    sources: dict[str, Path],
    index_url: str | None = None,
    *,
    restricted: tuple[str, ...] = (),
    **csw: Any,
) -> Settings:
    """Settings harvesting `sources` (id -> folder of CSW/ISO files); the `restricted` ones
    are seen by ROLE_STAFF only, identified by geOrchestra headers from 127.0.0.1."""
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp / 'store.db'}"},
            "index": {"url": index_url or f"sqlite:///{tmp / 'index.db'}"},
            "harvest": {"allow_files": True, "rate_limit": 0},
            "api": {"anonymous_rate_limit": 0},
            "auth": {"mode": "georchestra", "trusted_proxies": ["127.0.0.1"]},
            "csw": csw,
            "sources": [
                {
                    "id": name,
                    "kind": "csw",
                    "url": folder.as_uri(),
                    **(
                        {"access": {"public": False, "roles": [STAFF]}}
                        if name in restricted
                        else {}
                    ),
                }
                for name, folder in sources.items()
            ],
        }
    )


def harvest_all(settings: Settings) -> None:
    with Runtime(settings) as runtime:
        for source in settings.sources:
            harvest_source(runtime, source)


@dataclass
class Served:
    url: str
    settings: Settings


@contextmanager
def serve(settings: Settings) -> Iterator[Served]:
    """The whole app (create_app) on a free 127.0.0.1 port, in a thread."""
    runtime = Runtime(settings)
    app = create_app(runtime)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}/csw", settings)
    finally:
        server.shutdown()
        runtime.close()
        thread.join(timeout=10)
        app.extensions["moisson"].close()


def conformance_sources() -> dict[str, Path]:
    require(
        CITE.is_dir() and APISO.is_dir(), f"CSW conformance fixtures not found at {CONFORMANCE}"
    )
    return {"cite": CITE, "apiso": APISO}
