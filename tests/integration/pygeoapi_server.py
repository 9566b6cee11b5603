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

import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["PygeoapiError", "PygeoapiServer", "ensure_pygeoapi_venv"]

LAUNCHER = Path(__file__).resolve().with_name("pygeoapi_launcher.py")
DEFAULT_VENV = Path("~/.cache/moisson/pygeoapi-venv")
# The config keys, the provider name and the paging rule above are those of this release.
REQUIREMENTS = ("pygeoapi>=0.21,<0.22",)
STAMP = ".moisson-requirements"  # what the venv was built with


class PygeoapiError(RuntimeError):
    """pygeoapi could not be installed or started; the message carries its output."""


def ensure_pygeoapi_venv(root: Path | None = None) -> Path:
    """Return a virtualenv with pygeoapi installed, creating it on first use.

    `root` is the venv folder (default: $MOISSON_PYGEOAPI_VENV, else
    ~/.cache/moisson/pygeoapi-venv). Installation is skipped when the venv was built with
    the current `REQUIREMENTS`; a file lock keeps two test processes from building the same
    venv at once. pip uses its usual cache (~/.cache/pip). Raises PygeoapiError with pip's
    output when installation fails (e.g. no network).
    """
    venv = Path(root or os.environ.get("MOISSON_PYGEOAPI_VENV") or DEFAULT_VENV).expanduser()
    if _built(venv):
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with _locked(venv.parent / f".{venv.name}.lock"):
        if _built(venv):  # built by another process while we waited
            return venv
        _run([sys.executable, "-m", "venv", "--clear", str(venv)], "create the pygeoapi venv")
        _run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                *REQUIREMENTS,
            ],
            "install pygeoapi",
            timeout=900,
        )
        _run(
            [str(venv / "bin" / "python"), "-c", "import pygeoapi.provider.tinydb_"],
            "import pygeoapi's TinyDB provider",
        )
        (venv / STAMP).write_text("\n".join(REQUIREMENTS), encoding="utf-8")
    return venv


def _built(venv: Path) -> bool:
    try:
        return (venv / STAMP).read_text(encoding="utf-8") == "\n".join(REQUIREMENTS)
    except FileNotFoundError:
        return False


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str], what: str, timeout: float = 300) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise PygeoapiError(f"could not {what}: timed out after {timeout:.0f}s") from exc
    if done.returncode != 0:
        raise PygeoapiError(f"could not {what}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout + done.stderr


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
        self._process: subprocess.Popen[bytes] | None = None
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
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYGEOAPI_")}
        env["PYTHONUNBUFFERED"] = "1"
        with open(workdir / "server.log", "wb") as log:  # a file, not a pipe: never fills up
            self._process = subprocess.Popen(
                [
                    str(venv / "bin" / "python"),
                    str(LAUNCHER),
                    "serve",
                    str(config),
                    str(port_file),
                    str(workdir / "requests.jsonl"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        port = self._wait_for(lambda: _read_port(port_file), "choose a port")
        self.url = f"http://127.0.0.1:{port}"
        self._wait_for(lambda: _answers(self.collection_url + "?f=json"), "serve the collection")

    def _wait_for(self, probe: Callable[[], int], what: str) -> int:
        """Poll `probe` until it returns non-zero; fail fast if the server process died."""
        deadline = time.monotonic() + self.timeout
        while True:
            assert self._process is not None
            if self._process.poll() is not None:
                raise PygeoapiError(
                    f"pygeoapi exited (code {self._process.returncode}) before it could "
                    f"{what}:\n{self.server_log()}"
                )
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise PygeoapiError(
                    f"pygeoapi did not {what} within {self.timeout:.0f}s:\n{self.server_log()}"
                )
            time.sleep(0.05)

    def server_log(self) -> str:
        """The end of pygeoapi's own output (warnings, errors, tracebacks)."""
        path = self._workdir / "server.log" if self._workdir else None
        if path is None or not path.exists():
            return "(no server output)"
        return path.read_text(encoding="utf-8", errors="replace")[-4000:] or "(no output)"

    def _stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _read_port(port_file: Path) -> int:
    try:
        return int(port_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return 0


def _answers(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0
