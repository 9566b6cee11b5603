"""`moisson qgis export DIR`: the same files as the /qgis routes, for a static web server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from pipeline.cli import main
from pipeline.runtime import Runtime
from search_api.app import create_app

SITE = "https://gis.example.org/moisson"


def _config(runtime: Runtime, tmp_path: Path) -> Path:
    config = tmp_path / "moisson.toml"
    config.write_text(
        f'[store]\nurl = "{runtime.settings.store.url}"\n'
        f'[index]\nurl = "{runtime.settings.index.url}"\n',
        encoding="utf-8",
    )
    return config


def test_export_writes_what_the_routes_serve(sample_runtime: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    code = main(
        [
            "--config",
            str(_config(sample_runtime, tmp_path)),
            "qgis",
            "export",
            str(folder),
            "--site-url",
            SITE,
        ]
    )
    assert code == 0
    listed = json.loads((folder / "platforms.json").read_text(encoding="utf-8"))
    legacy = json.loads((folder / "platforms-legacy.json").read_text(encoding="utf-8"))
    assert [p["url"] for p in listed] == list(legacy.values())
    assert listed[0] == {"name": "Moisson", "url": f"{SITE}/qgis/projects/moisson.qgz"}
    client: FlaskClient = create_app(sample_runtime).test_client()
    for name in legacy:
        for suffix in ("qgs", "qgz"):
            written = (folder / "projects" / f"{name}.{suffix}").read_bytes()
            served = client.get(f"/qgis/projects/{name}.{suffix}")
            assert served.status_code == 200
            if suffix == "qgs":  # same layers and tree; only the URLs and dates differ
                assert written.count(b"<maplayer ") == served.data.count(b"<maplayer ")
                assert written.count(b"<layer-tree-") == served.data.count(b"<layer-tree-")
                assert b"http://localhost" not in written
    assert (folder / "icon.png").read_bytes() == client.get("/qgis/icon.png").data
    assert not list(folder.rglob("*.part"))


def test_export_base_url(sample_runtime: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    base = "https://static.example.org/qgis"
    args = ["qgis", "export", str(folder), "--site-url", SITE, "--base-url", base]
    assert main(["--config", str(_config(sample_runtime, tmp_path)), *args]) == 0
    legacy = json.loads((folder / "platforms-legacy.json").read_text(encoding="utf-8"))
    assert legacy["moisson"] == f"{base}/projects/moisson.qgz"
    assert f"{base}/icon.png".encode() in (folder / "projects" / "moisson.qgs").read_bytes()


def test_export_needs_a_site_url(
    sample_runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["--config", str(_config(sample_runtime, tmp_path)), "qgis", "export", str(tmp_path / "o")]
    )
    assert code == 2
    assert "--site-url" in capsys.readouterr().err


def test_export_into_a_file_is_a_clear_error(
    sample_runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    args = ["qgis", "export", str(blocker), "--site-url", SITE]
    assert main(["--config", str(_config(sample_runtime, tmp_path)), *args]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err
