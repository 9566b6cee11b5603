"""What the peer-server harnesses (pycsw, pygeoapi) share: a cached virtualenv per peer,
built once under a file lock, and one server subprocess on a free 127.0.0.1 port that is
waited for, read from and stopped the same way.

Peers pin libraries Moisson cannot share (pycsw needs SQLAlchemy 1.x), so each runs with its
own interpreter from its own venv. Standard library only, so `bench/` can use it too.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "PeerError",
    "PeerProcess",
    "answers",
    "ensure_venv",
    "environ_without",
    "read_port",
    "run",
]

STAMP = ".moisson-requirements"  # what a venv was built with; another pin rebuilds it


class PeerError(RuntimeError):
    """A peer could not be installed or started; the message carries its output."""


def run(command: list[str], what: str, error: type[PeerError], timeout: float = 300) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise error(f"could not {what}: timed out after {timeout:.0f}s") from exc
    if done.returncode != 0:
        raise error(
            f"could not {what} (exit {done.returncode}): {' '.join(command)}\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done.stdout + done.stderr


def ensure_venv(
    venv: Path,
    requirements: Sequence[str],
    error: type[PeerError],
    check_import: str,
) -> Path:
    """`venv` with `requirements` installed, built on first use (or when the pins change).
    A file lock keeps two test processes from building it at once; pip uses its usual cache.
    `check_import` is a module the peer must be able to import once installed."""
    venv = venv.expanduser()
    wanted = "\n".join(requirements)
    if _stamp(venv) == wanted:
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    with _locked(venv.parent / f".{venv.name}.lock"):
        if _stamp(venv) == wanted:  # built by another process while we waited
            return venv
        run([sys.executable, "-m", "venv", "--clear", str(venv)], f"create {venv}", error)
        python = str(venv / "bin" / "python")
        pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]
        run([*pip, *requirements], f"install {wanted}", error, timeout=900)
        run([python, "-c", f"import {check_import}"], f"import {check_import}", error)
        (venv / STAMP).write_text(wanted, encoding="utf-8")
    return venv


def _stamp(venv: Path) -> str | None:
    try:
        return (venv / STAMP).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class PeerProcess:
    """One peer server subprocess, its output in `log` (a file: a pipe could fill up)."""

    def __init__(
        self,
        name: str,
        command: list[str],
        log: Path,
        env: dict[str, str],
        error: type[PeerError],
        timeout: float,
    ) -> None:
        self.name, self.log, self.error, self.timeout = name, log, error, timeout
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                command,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**env, "PYTHONUNBUFFERED": "1"},
            )

    def wait_for(self, probe: Callable[[], int], what: str) -> int:
        """Poll `probe` until it returns non-zero; fail fast if the server process died."""
        deadline = time.monotonic() + self.timeout
        while True:
            if self.process.poll() is not None:
                raise self.error(
                    f"{self.name} exited (code {self.process.returncode}) before it could "
                    f"{what}:\n{self.output()}"
                )
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise self.error(
                    f"{self.name} did not {what} within {self.timeout:.0f}s:\n{self.output()}"
                )
            time.sleep(0.05)

    def output(self) -> str:
        """The end of the server's own output (warnings, errors, tracebacks)."""
        if not self.log.exists():
            return "(no server output)"
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:] or "(no output)"

    def stop(self) -> None:
        stop_process(self.process, timeout=10)


def stop_process(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """Terminate a server, and kill it if it has not stopped within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def read_port(port_file: Path) -> int:
    """The port a launcher wrote once it had bound one; 0 until then."""
    try:
        return int(port_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return 0


def answers(url: str, needle: bytes = b"") -> int:
    """1 when `url` answers 200 (with `needle` in the body), else 0."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body: bytes = response.read()
            return int(response.status == 200 and needle in body)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


def environ_without(prefix: str) -> dict[str, str]:
    """The current environment minus variables starting with `prefix`."""
    return {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
