"""A real pygeoapi OGC API - Records server on 127.0.0.1, for integration tests.

pygeoapi is the reference OGC API server, and its `TinyDBCatalogue` provider serves a
records collection from one JSON file with no external service. pygeoapi's dependencies
(Flask, shapely, pyproj...) are no business of Moisson's, so it lives in its own
virtualenv, built once and cached (`ensure_pygeoapi_venv`), and runs in a subprocess
through `pygeoapi_launcher.py`. This module only uses the standard library.

Usage::

    with PygeoapiServer(features) as server:   # OGC API - Records GeoJSON features
        server.collection_url                   # http://127.0.0.1:40123/collections/records
        server.item_requests()                  # every /items request pygeoapi received

Notes:

- pygeoapi 0.21 links to a next page when `numberMatched > offset + limit` *or* the page is
  full, so when the record count is a multiple of `limit` the last full page still links
  to an empty one: expect ceil(n / limit) pages only when `limit` does not divide n.
- The venv defaults to ~/.cache/moisson/pygeoapi-venv; set MOISSON_PYGEOAPI_VENV to move
  it (the test suite's autouse fixture clears MOISSON_* variables for function-scoped
  code, so pass the path explicitly when calling from inside a test body). It is rebuilt
  when `REQUIREMENTS` changes.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from testkit.peer_process import (
    PeerError,
    PeerProcess,
    answers,
    ensure_venv,
    environ_without,
    read_port,
)

__all__ = ["PygeoapiError", "PygeoapiServer", "ensure_pygeoapi_venv"]

LAUNCHER = Path(__file__).resolve().with_name("pygeoapi_launcher.py")
DEFAULT_VENV = Path("~/.cache/moisson/pygeoapi-venv")
# The config keys, the provider name and the paging rule above are those of this release.
REQUIREMENTS = ("pygeoapi>=0.21,<0.22",)


class PygeoapiError(PeerError):
    """pygeoapi could not be installed or started; the message carries its output."""


def ensure_pygeoapi_venv(root: Path | None = None) -> Path:
    """A virtualenv with pygeoapi installed, created on first use (or when `REQUIREMENTS`
    change; peer_process.ensure_venv). `root` is the venv folder (default:
    $MOISSON_PYGEOAPI_VENV, else ~/.cache/moisson/pygeoapi-venv). Raises PygeoapiError with
    pip's output when installation fails (e.g. no network).
    """
    venv = Path(root or os.environ.get("MOISSON_PYGEOAPI_VENV") or DEFAULT_VENV)
    return ensure_venv(venv, REQUIREMENTS, PygeoapiError, "pygeoapi.provider.tinydb_")


def pygeoapi_config(database: Path, collection: str, max_items: int) -> dict[str, Any]:
    """A minimal pygeoapi config: one records collection over a TinyDB file. `server.url`
    is a placeholder the launcher replaces with the bound port."""
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": 0},
            "url": "http://127.0.0.1:0",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": max_items},
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "-"},
        },
        "logging": {"level": "WARNING"},
        "metadata": {
            "identification": {
                "title": "pygeoapi test catalogue (Moisson integration tests)",
                "description": "A throwaway pygeoapi served on loopback by the tests.",
                "keywords": ["catalogue", "test"],
                "terms_of_service": "https://example.org/",
                "url": "https://example.org/",
            },
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "Moisson tests", "url": "https://example.org/"},
            "contact": {"name": "Moisson tests", "email": "tests@example.org"},
        },
        "resources": {
            collection: {
                "type": "collection",
                "title": "Fixture records",
                "description": "OGC API - Records features built from the shared fixtures.",
                "keywords": ["records"],
                "links": [],
                "extents": {
                    "spatial": {
                        "bbox": [-180, -90, 180, 90],
                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                    }
                },
                "providers": [
                    {
                        "type": "record",
                        "name": "TinyDBCatalogue",
                        "data": str(database),
                        "editable": False,
                        "id_field": "id",
                        "title_field": "title",
                        "time_field": "updated",
                    }
                ],
            }
        },
    }


def write_tinydb(path: Path, features: Sequence[dict[str, Any]]) -> None:
    """TinyDB's own file layout: documents keyed by position in the `_default` table."""
    table = {str(number): feature for number, feature in enumerate(features, start=1)}
    path.write_text(json.dumps({"_default": table}), encoding="utf-8")


class PygeoapiServer:
    """pygeoapi serving the given record features on 127.0.0.1 (free port) until exit.

    Entering writes the TinyDB file and config, starts the server and waits until the
    collection answers; `collection_url` is the records collection. Exiting stops the
    process and removes the temporary folder; a `workdir` you pass (new or empty) is kept,
    with the config, records.json, server.log and requests.jsonl, for post-mortems.
    Raises PygeoapiError, with the server's output, when it fails to come up in time.
    """

    def __init__(
        self,
        features: Sequence[dict[str, Any]],
        *,
        collection: str = "records",
        max_items: int = 100,
        venv: Path | None = None,
        workdir: Path | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.features = list(features)
        self.collection = collection
        self.max_items = max_items
        self.venv = venv
        self.timeout = timeout
        self.url = ""
        self._given_workdir = workdir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._process: PeerProcess | None = None
        self._workdir: Path | None = None

    @property
    def collection_url(self) -> str:
        return f"{self.url}/collections/{self.collection}"

    def __enter__(self) -> PygeoapiServer:
        try:
            self._start()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop()

    def requests(self) -> list[dict[str, str]]:
        """Every request pygeoapi received so far: method, path and query string."""
        assert self._workdir is not None
        path = self._workdir / "requests.jsonl"
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line]

    def item_requests(self) -> list[dict[str, str]]:
        """The requests for this collection's /items pages."""
        items = f"/collections/{self.collection}/items"
        return [r for r in self.requests() if r["path"].rstrip("/") == items]

    def _start(self) -> None:
        venv = ensure_pygeoapi_venv(self.venv)
        if self._given_workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="moisson-pygeoapi-")
            workdir = Path(self._tmp.name)
        else:
            workdir = self._given_workdir
            workdir.mkdir(parents=True, exist_ok=True)
        self._workdir = workdir
        database = workdir / "records.json"
        write_tinydb(database, self.features)
        config = workdir / "pygeoapi-config.yml"
        # JSON is YAML: the launcher reads it with PyYAML and rewrites it with the real port.
        config_text = json.dumps(pygeoapi_config(database, self.collection, self.max_items))
        config.write_text(config_text, encoding="utf-8")
        port_file = workdir / "port"
        self._process = PeerProcess(
            "pygeoapi",
            [
                str(venv / "bin" / "python"),
                str(LAUNCHER),
                "serve",
                str(config),
                str(port_file),
                str(workdir / "requests.jsonl"),
            ],
            workdir / "server.log",
            environ_without("PYGEOAPI_"),
            PygeoapiError,
            self.timeout,
        )
        port = self._process.wait_for(lambda: read_port(port_file), "choose a port")
        self.url = f"http://127.0.0.1:{port}"
        collection = self.collection_url + "?f=json"
        self._process.wait_for(lambda: answers(collection), "serve the collection")

    def server_log(self) -> str:
        """The end of pygeoapi's own output (warnings, errors, tracebacks)."""
        return self._process.output() if self._process else "(no server output)"

    def _stop(self) -> None:
        if self._process is not None:
            self._process.stop()
        self._process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
