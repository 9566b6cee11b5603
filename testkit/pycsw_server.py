"""A real pycsw 2.6 CSW server on 127.0.0.1, for integration tests and benchmarks.

pycsw is the peer Moisson harvests from and is measured against (DESIGN.md). pycsw 2.6.2 pins
SQLAlchemy 1.x while Moisson needs 2.x, so pycsw lives in its own virtualenv, built once and
cached (`ensure_pycsw_venv`), and everything pycsw-side runs in subprocesses through
`pycsw_launcher.py`. This module only uses the standard library, so tests and `bench/` can
both import it.

Usage::

    with PycswServer(files) as server:      # ISO 19139 record files
        server.url                          # CSW endpoint, e.g. http://127.0.0.1:40123/csw
        server.load.loaded, server.load.refused, server.load.seconds

    load_records(files).seconds             # pycsw's own loader alone, for `bench/`

Notes:

- pycsw refuses some records on load (no identifier, a profile root it does not know,
  duplicate identifiers in one batch...). They are listed in `LoadResult.refused`, with
  pycsw's own messages in `LoadResult.log`; a refusal is not an error of the harness.
- BBOX filters sent to pycsw must be CRS84 (lon/lat) envelopes: an EPSG:4326 envelope is read
  lat/lon, so a box given lon-first silently matches the wrong area.
- The venv defaults to ~/.cache/moisson/pycsw-venv; set MOISSON_PYCSW_VENV to move it. (The
  test suite's autouse fixture clears MOISSON_* variables for function-scoped code, so pass
  the path explicitly when calling from inside a test body.)
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from testkit.peer_process import (
    PeerError,
    PeerProcess,
    answers,
    ensure_venv,
    read_port,
    run,
)

__all__ = [
    "LoadResult",
    "PycswError",
    "PycswServer",
    "ensure_pycsw_venv",
    "load_records",
    "load_records_seconds",
]

LAUNCHER = Path(__file__).resolve().with_name("pycsw_launcher.py")
DEFAULT_VENV = Path("~/.cache/moisson/pycsw-venv")
# pycsw 3 changed the config format (YAML) and the admin CLI; this harness speaks 2.x.
REQUIREMENTS = ("pycsw>=2.6,<3", "SQLAlchemy<2")


class PycswError(PeerError):
    """pycsw could not be installed, set up or started; the message carries its output."""


@dataclass
class LoadResult:
    """What pycsw's `load_records` made of the given files."""

    loaded: list[Path] = field(default_factory=list)
    refused: list[Path] = field(default_factory=list)
    seconds: float = 0.0  # load_records alone, without interpreter start-up
    reasons: dict[Path, str] = field(default_factory=dict)  # refused file -> pycsw's words
    log: str = ""  # pycsw's warnings and errors in full

    @property
    def records_per_second(self) -> float:
        return len(self.loaded) / self.seconds if self.seconds > 0 else 0.0


def ensure_pycsw_venv(root: Path | None = None) -> Path:
    """A virtualenv with pycsw 2.x installed, created on first use (peer_process.ensure_venv).

    `root` is the venv folder (default: $MOISSON_PYCSW_VENV, else ~/.cache/moisson/pycsw-venv).
    Raises PycswError with pip's output when installation fails (e.g. no network).
    """
    venv = Path(root or os.environ.get("MOISSON_PYCSW_VENV") or DEFAULT_VENV)
    return ensure_venv(venv, REQUIREMENTS, PycswError, check_import="pycsw")


def _run(command: list[str], what: str, timeout: float = 300) -> str:
    return run(command, what, PycswError, timeout)


class _Repository:
    """A pycsw config + SQLite repository in a folder, with the records linked in."""

    def __init__(self, workdir: Path, venv: Path, maxrecords: int) -> None:
        self.workdir = workdir
        self.venv = venv
        self.python = str(venv / "bin" / "python")
        self.cfg = workdir / "pycsw.cfg"
        self.records_dir = workdir / "records"
        self._write_config(maxrecords)

    def _write_config(self, maxrecords: int) -> None:
        config = configparser.RawConfigParser()
        config["server"] = {
            "home": str(self.workdir),
            "url": "http://127.0.0.1/csw",  # the launcher writes the real port in
            "mimetype": "application/xml; charset=UTF-8",
            "encoding": "UTF-8",
            "language": "en-US",
            "maxrecords": str(maxrecords),
            "loglevel": "WARNING",
            "logfile": str(self.workdir / "pycsw.log"),
            "pretty_print": "false",
            # No gzip_compresslevel: pycsw 2.6.2's wsgi.py keeps the uncompressed
            # Content-Length on gzipped bodies, so clients read truncated responses.
            "domainquerytype": "list",
            "domaincounts": "false",
            "profiles": "apiso",
        }
        config["manager"] = {"transactions": "false", "allowed_ips": "127.0.0.1"}
        config["metadata:main"] = {
            "identification_title": "pycsw test catalogue (Moisson integration tests)",
            "identification_abstract": "A throwaway pycsw served on loopback by the tests.",
            "identification_keywords": "catalogue,discovery,test",
            "identification_keywords_type": "theme",
            "identification_fees": "None",
            "identification_accessconstraints": "None",
            "provider_name": "Moisson tests",
            "provider_url": "https://example.org/",
            "contact_name": "Moisson tests",
            "contact_position": "none",
            "contact_address": "none",
            "contact_city": "none",
            "contact_stateorprovince": "none",
            "contact_postalcode": "00000",
            "contact_country": "France",
            "contact_phone": "none",
            "contact_fax": "none",
            "contact_email": "tests@example.org",
            "contact_url": "https://example.org/",
            "contact_hours": "none",
            "contact_instructions": "none",
            "contact_role": "pointOfContact",
        }
        config["repository"] = {
            "database": f"sqlite:///{self.workdir / 'records.db'}",
            "table": "records",
        }
        with open(self.cfg, "w", encoding="utf-8") as handle:
            config.write(handle)

    def setup_db(self) -> None:
        output = _run(
            [
                self.python,
                str(self.venv / "bin" / "pycsw-admin.py"),
                "-c",
                "setup_db",
                "-f",
                str(self.cfg),
            ],
            "set up the pycsw database",
        )
        if "ERROR" in output:  # pycsw-admin.py reports DB errors but exits 0
            raise PycswError(f"pycsw setup_db failed:\n{output[-4000:]}")

    def load(self, files: Iterable[Path]) -> LoadResult:
        """Link the files into one folder (unique names: fixtures from several folders may
        share a name) and run pycsw's loader on it."""
        self.records_dir.mkdir()
        originals: dict[str, Path] = {}
        for number, file in enumerate(files):
            link = self.records_dir / f"{number:06d}-{file.name}"
            if not link.name.endswith(".xml"):  # pycsw only globs *.xml
                link = link.with_name(link.name + ".xml")
            link.symlink_to(Path(file).resolve())
            originals[str(link)] = Path(file)
        done = subprocess.run(
            [self.python, str(LAUNCHER), "load", str(self.cfg), str(self.records_dir)],
            capture_output=True,
            text=True,
            check=False,
        )
        last_line = done.stdout.strip().rpartition("\n")[2]
        if done.returncode != 0 or not last_line.startswith("{"):
            raise PycswError(
                f"pycsw load_records failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
            )
        report = json.loads(last_line)
        loaded = set(report["loaded"])
        refused = [name for name in sorted(originals) if name not in loaded]
        reasons = _refusal_reasons(done.stderr)
        return LoadResult(
            loaded=[originals[name] for name in sorted(loaded)],
            refused=[originals[name] for name in refused],
            seconds=float(report["seconds"]),
            reasons={
                originals[name]: reasons.get(name, "no message from pycsw") for name in refused
            },
            log=done.stderr,
        )


_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*: ")  # 'AttributeError: ...', not warnings


def _refusal_reasons(log: str) -> dict[str, str]:
    """File -> why, from pycsw's log: each ERROR line names the file, and either says why
    ('... not inserted: UNIQUE constraint failed') or is followed by a traceback whose last
    line does ('RuntimeError: Unsupported metadata format')."""
    reasons: dict[str, str] = {}
    current: str | None = None
    for line in log.splitlines():
        if line.startswith("ERROR:"):
            found = re.search(r'(/\S+?\.xml)"?(?: not inserted: (.*))?', line)
            current = found.group(1) if found else None
            if current is not None:
                reasons[current] = (found.group(2) if found else None) or line.split(":", 2)[-1]
        elif current is not None and _EXCEPTION_LINE.match(line):
            reasons[current] = line.strip()  # the exception line closing the traceback
    return reasons


def load_records(files: Iterable[Path], venv: Path | None = None) -> LoadResult:
    """Load the files into a fresh, throwaway pycsw repository and report what pycsw did."""
    venv = ensure_pycsw_venv(venv)
    with tempfile.TemporaryDirectory(prefix="moisson-pycsw-") as tmp:
        repository = _Repository(Path(tmp), venv, maxrecords=10)
        repository.setup_db()
        return repository.load(files)


def load_records_seconds(files: Iterable[Path], venv: Path | None = None) -> float:
    """Seconds pycsw's `load_records` takes over these files: the bench's loading peer."""
    return load_records(files, venv).seconds


class PycswServer:
    """pycsw serving the given ISO 19139 files on 127.0.0.1 (free port) until exit.

    Entering builds the repository (setup_db + load_records), starts the server and waits
    until GetCapabilities answers; `url` is the CSW endpoint and `load` what pycsw loaded.
    Exiting stops the process and removes the temporary folder; a `workdir` you pass (it must
    be new or empty) is kept, with pycsw.cfg, records.db and server.log, for post-mortems.
    Raises PycswError, with the server's output, when anything fails to come up in time.
    """

    def __init__(
        self,
        files: Iterable[Path],
        *,
        venv: Path | None = None,
        workdir: Path | None = None,
        maxrecords: int = 100,
        timeout: float = 60.0,
    ) -> None:
        self.files = [Path(f) for f in files]
        self.venv = venv
        self.maxrecords = maxrecords
        self.timeout = timeout
        self.url = ""
        self.load = LoadResult()
        self._given_workdir = workdir
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._process: PeerProcess | None = None

    def __enter__(self) -> PycswServer:
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

    def _start(self) -> None:
        venv = ensure_pycsw_venv(self.venv)
        if self._given_workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="moisson-pycsw-")
            workdir = Path(self._tmp.name)
        else:
            workdir = self._given_workdir
            workdir.mkdir(parents=True, exist_ok=True)
        repository = _Repository(workdir, venv, self.maxrecords)
        repository.setup_db()
        self.load = repository.load(self.files)
        port_file = workdir / "port"
        self._process = PeerProcess(
            "pycsw",
            [repository.python, str(LAUNCHER), "serve", str(repository.cfg), str(port_file)],
            workdir / "server.log",
            {**os.environ, "PYCSW_CONFIG": str(repository.cfg)},
            PycswError,
            self.timeout,
        )
        port = self._process.wait_for(lambda: read_port(port_file), "choose a port")
        self.url = f"http://127.0.0.1:{port}/csw"
        capabilities = f"{self.url}?service=CSW&version=2.0.2&request=GetCapabilities"
        self._process.wait_for(
            lambda: answers(capabilities, b"Capabilities"), "answer GetCapabilities"
        )

    def _stop(self) -> None:
        if self._process is not None:
            self._process.stop()
        self._process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
