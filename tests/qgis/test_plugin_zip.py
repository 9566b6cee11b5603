"""`moisson qgis plugin-zip` builds what QGIS's "Install from ZIP" accepts: one folder
`moisson_search/` at the root with `classFactory`, metadata.txt holding the keys the plugin
repository requires, the icon it names and the licence; reproducibly, without bytecode."""

from __future__ import annotations

import ast
import configparser
import zipfile
from pathlib import Path

import pytest

from moisson.errors import ConfigError
from pipeline.cli import main
from qgis_plugin.plugin_zip import PLUGIN_DIR, REQUIRED_METADATA, build_zip

PNG = b"\x89PNG\r\n\x1a\n"


def _build(out: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["qgis", "plugin-zip", str(out)]) == 0
    return Path(capsys.readouterr().out.strip())


def test_the_zip_holds_one_plugin_folder_with_metadata_icon_and_licence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    built = _build(tmp_path, capsys)
    assert built.parent == tmp_path and built.name.startswith("moisson_search-")
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
        assert all(name.startswith("moisson_search/") for name in names)
        assert not [n for n in names if n.endswith((".pyc", ".pyo")) or "__pycache__" in n]
        metadata = configparser.ConfigParser(interpolation=None)
        metadata.read_string(archive.read("moisson_search/metadata.txt").decode("utf-8"))
        general = metadata["general"]
        assert {key.lower() for key in REQUIRED_METADATA} <= set(general)
        assert all(general[key].strip() for key in REQUIRED_METADATA)
        assert general["qgisMinimumVersion"] == "3.22"
        assert built.name == f"moisson_search-{general['version']}.zip"
        assert archive.read(f"moisson_search/{general['icon']}").startswith(PNG)
        licence = archive.read("moisson_search/LICENSE").decode("utf-8")
        assert "GNU GENERAL PUBLIC LICENSE" in licence
        assert "def classFactory(iface)" in archive.read("moisson_search/__init__.py").decode()
        for module in ("plugin", "dock", "api_client", "layers", "settings", "service_links"):
            assert f"moisson_search/{module}.py" in names


def test_the_zip_is_reproducible_and_takes_a_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _build(tmp_path / "one" / "plugin.zip", capsys)
    second = _build(tmp_path / "two" / "plugin.zip", capsys)
    assert first.name == "plugin.zip"
    assert first.read_bytes() == second.read_bytes()


def test_a_folder_that_does_not_exist_yet_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    built = _build(tmp_path / "dist" / "plugins", capsys)
    assert built.parent == tmp_path / "dist" / "plugins"
    assert built.name.startswith("moisson_search-") and zipfile.is_zipfile(built)


def test_a_plugin_without_its_required_metadata_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "moisson_search"
    broken.mkdir()
    for name in ("__init__.py", "icon.png", "LICENSE"):
        (broken / name).write_bytes((PLUGIN_DIR / name).read_bytes())
    (broken / "metadata.txt").write_text("[general]\nname=x\nversion=1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="lacks required keys: qgisMinimumVersion"):
        build_zip(tmp_path / "out.zip", broken)
    assert not (tmp_path / "out.zip").exists()


def test_an_unwritable_target_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert main(["qgis", "plugin-zip", str(blocker / "plugin.zip")]) == 1
    assert "cannot write the plugin zip" in capsys.readouterr().err


def test_the_plugin_modules_suit_the_python_of_qgis_3_22() -> None:
    """QGIS 3.22 on Windows and macOS runs Python 3.9: no newer grammar, and annotations
    (`str | None`) left unevaluated by `from __future__ import annotations`."""
    for path in sorted(PLUGIN_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path), feature_version=(3, 9))
        annotated = any(
            isinstance(node, ast.AnnAssign) or getattr(node, "returns", None) is not None
            for node in ast.walk(tree)
        )
        future = any(
            isinstance(node, ast.ImportFrom)
            and node.module == "__future__"
            and any(alias.name == "annotations" for alias in node.names)
            for node in tree.body
        )
        assert future or not annotated, f"{path.name} needs from __future__ import annotations"
