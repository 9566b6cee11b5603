"""Moisson installs like a library: a wheel built from the project, installed non-editable in
a fresh virtualenv, runs from a folder outside the checkout with nothing but its package data
(the thesaurus, the rules, the sample catalogues and their config).

The fresh venv gets the wheel alone (`--no-deps`); the dependencies come from the test venv's
site-packages through a path file, which adds that folder to sys.path without running its
own path files, so the checkout's editable install cannot leak in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [name for name in listed if (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the built wheel; returns its bin/ folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for name in _tracked_files():  # a clean copy: no build leftovers, no local var/
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        check=True,
    )
    [wheel] = dist.glob("moisson-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deps = sysconfig.get_paths()["purelib"]  # this (test) venv's site-packages
    (Path(site) / "moisson-test-deps.pth").write_text(deps + "\n", encoding="utf-8")
    return venv / "bin"


def _moisson(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOISSON_")}
    env["PYTHONPATH"] = ""
    return subprocess.run(
        [str(bin_dir / "moisson"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_wheel_holds_the_code_and_its_data_not_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    found = subprocess.run(
        [
            str(installed / "python"),
            "-c",
            "import moisson, pipeline, thesaurus, samples; from importlib.resources import files;"
            "print(moisson.__file__); print(files('thesaurus') / 'themes.ttl');"
            "print(files('samples') / 'moisson.toml')",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(str(ROOT) not in path for path in found), found
    assert all(Path(path).exists() for path in found[1:])


def test_help_validate_and_a_harvest_of_the_samples_run_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    helped = _moisson(installed, tmp_path, "--help")
    assert helped.returncode == 0 and "harvest" in helped.stdout

    validated = _moisson(installed, tmp_path, "thesaurus", "validate")
    assert validated.returncode == 0, validated.stderr
    assert "ok:" in validated.stdout and str(ROOT) not in validated.stdout

    harvested = _moisson(installed, tmp_path, "harvest")
    assert harvested.returncode == 0, harvested.stderr
    for source in ("sample-csw", "sample-dcat", "sample-ckan", "sample-ogcapi"):
        assert f"{source}: complete" in harvested.stdout
    # The bundled config writes var/ in the current directory, never into the package.
    assert (tmp_path / "var" / "moisson.db").is_file()
    assert (tmp_path / "var" / "index.db").is_file()

    searched = _moisson(installed, tmp_path, "search", "zones humides")
    assert searched.returncode == 0 and "records" in searched.stdout
    assert not searched.stdout.startswith("0 records")


def test_the_qgis_plugin_zip_builds_from_the_installed_wheel(
    installed: Path, tmp_path: Path
) -> None:
    built = _moisson(installed, tmp_path, "qgis", "plugin-zip", "plugin.zip")
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(tmp_path / "plugin.zip") as archive:
        names = set(archive.namelist())
    for name in ("__init__.py", "metadata.txt", "icon.png", "LICENSE", "dock.py"):
        assert f"moisson_search/{name}" in names
