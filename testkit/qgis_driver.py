"""Running a test scenario inside Debian's QGIS: QGIS imports only from the system Python, not
from the project's virtualenv, so a test runs a driver script there in a subprocess and reads
the one `RESULT <json>` line it prints."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["SYSTEM_PYTHON", "qgis_importable", "run_driver"]

SYSTEM_PYTHON = "/usr/bin/python3"


def qgis_importable(*modules: str) -> bool:
    """Whether the system Python imports these modules (e.g. "qgis.core") headless."""
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", f"import {', '.join(modules)}"],
        capture_output=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    return probe.returncode == 0


def run_driver(
    driver: Path,
    args: Sequence[str],
    home: Path,
    *,
    wrapper: Sequence[str] = (),
    extra_env: Mapping[str, str] | None = None,
) -> Any:
    """Run `driver` under the system Python with QGIS's settings, profiles and caches kept in
    `home` (never the user's ~). Offscreen unless a `wrapper` (e.g. xvfb-run) gives a real
    display. Returns the parsed RESULT line; fails with the driver's stderr when there is none."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        **(extra_env or {}),
    }
    env.pop("PYTHONPATH", None)  # the venv's packages must not shadow the system's
    if wrapper:
        env.pop("QT_QPA_PLATFORM")
    done = subprocess.run(
        [*wrapper, SYSTEM_PYTHON, str(driver), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line is not None, f"driver failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return json.loads(line.removeprefix("RESULT "))
