"""Build the installable zip of the Moisson search plugin for QGIS.

QGIS's plugin installer ("Install from ZIP") and the plugin repository expect one folder at
the zip's root, named as the plugin's Python package (`moisson_search/`), holding
`__init__.py` with `classFactory`, `metadata.txt` with the required keys, the icon it names
and the licence. The zip is reproducible: files in name order, fixed timestamps and modes,
no bytecode, so the same sources give the same bytes.
"""

from __future__ import annotations

import configparser
import zipfile
from pathlib import Path

from moisson.errors import ConfigError, MoissonError

__all__ = [
    "PACKAGE",
    "PLUGIN_DIR",
    "REQUIRED_METADATA",
    "build_zip",
    "plugin_files",
    "read_metadata",
]

PACKAGE = "moisson_search"
PLUGIN_DIR = Path(__file__).with_name(PACKAGE)
# What QGIS's plugin repository refuses a plugin without (metadata.txt, [general]).
REQUIRED_METADATA = (
    "name",
    "qgisMinimumVersion",
    "description",
    "about",
    "version",
    "author",
    "email",
    "repository",
)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


def read_metadata(folder: Path = PLUGIN_DIR) -> dict[str, str]:
    """The [general] section of metadata.txt; ConfigError naming what is missing."""
    path = folder / "metadata.txt"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are camelCase
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, configparser.Error) as exc:
        raise ConfigError(f"cannot read the plugin's metadata at {path}", detail=str(exc)) from exc
    general = dict(parser["general"]) if parser.has_section("general") else {}
    missing = [key for key in REQUIRED_METADATA if not general.get(key, "").strip()]
    if missing:
        raise ConfigError(f"{path} lacks required keys: {', '.join(missing)}")
    return general


def plugin_files(folder: Path = PLUGIN_DIR) -> list[Path]:
    """Every file the plugin ships, in name order (no caches, no bytecode)."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and not path.name.endswith(_SKIPPED_SUFFIXES)
    )


def build_zip(out: Path, folder: Path = PLUGIN_DIR) -> Path:
    """Write the zip to `out`, a `.zip` file name, else a folder (created if needed) that
    gets `moisson_search-<version>.zip`; returns the zip's path."""
    metadata = read_metadata(folder)
    for needed in (metadata.get("icon") or "icon.png", "LICENSE", "__init__.py"):
        if not (folder / needed).is_file():
            raise ConfigError(f"the plugin in {folder} lacks {needed}")
    is_file = out.suffix.lower() == ".zip" and not out.is_dir()
    target = out if is_file else out / f"{PACKAGE}-{metadata['version']}.zip"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in plugin_files(folder):
                name = f"{PACKAGE}/{path.relative_to(folder).as_posix()}"
                info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    except OSError as exc:
        raise MoissonError(f"cannot write the plugin zip to {target}: {exc.strerror}") from exc
    return target
