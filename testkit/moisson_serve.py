"""A real `moisson serve` (gunicorn in its own process) on 127.0.0.1 for a test's block: the
tests that need the served app exactly as users start it, not a Flask test client."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from testkit.peer_process import stop_process

__all__ = ["serve_moisson"]

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60
_LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


@contextmanager
def serve_moisson(config: Path, workers: int = 1) -> Iterator[str]:
    """Serve `config` on a port gunicorn picks; yields the base URL once it listens. The
    caller's MOISSON_* variables are left out so the config file alone decides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOISSON_")}
    command = [sys.executable, "-m", "pipeline.cli", "--config", str(config), "serve"]
    process = subprocess.Popen(
        [*command, "--port", "0", "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        seen: list[str] = []
        url = None
        while time.monotonic() < deadline and url is None:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            found = _LISTENING.search(line)
            url = found.group(1) if found else None
        assert url, "moisson serve did not start:\n" + "".join(seen)
        yield url
    finally:
        stop_process(process)
        if process.stdout is not None:
            process.stdout.close()
