"""Azurite, the Azure Storage emulator (npm package `azurite`), serving Blob on a loopback
port with a throw-away folder and no telemetry. scripts/test.sh installs it under
~/.cache/moisson/azurite; AZURITE_BLOB may name another `azurite-blob`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from testkit.ports import free_port

__all__ = ["ACCOUNT", "azurite_binary", "azurite_blob"]

ACCOUNT = "devstoreaccount1"
# Azurite's documented development account key (public, the same in every Azurite).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_binary() -> str | None:
    candidates = [
        os.environ.get("AZURITE_BLOB", ""),
        str(Path.home() / ".cache/moisson/azurite/node_modules/.bin/azurite-blob"),
        shutil.which("azurite-blob") or "",
    ]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


@contextmanager
def azurite_blob() -> Iterator[str]:
    """Start Azurite's Blob service; yield its connection string."""
    binary = azurite_binary()
    assert binary is not None
    folder = Path(tempfile.mkdtemp(prefix="moisson-azurite-"))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(folder),
            "--silent",
            "--skipApiVersionCheck",
            "--loose",
            "--disableTelemetry",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Azurite did not start") from None
                time.sleep(0.2)
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
        )
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
