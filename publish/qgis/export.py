"""`moisson qgis export DIR`: the files of the /qgis routes, written to a folder, for
platforms that serve static files. The folder gets

    platforms.json            the current form ([{name, url}])
    platforms-legacy.json     the older form ({name: url})
    projects/<name>.qgs       every project, and its .qgz
    icon.png

with URLs under `base` (where the folder will be served). Files are written whole then
renamed into place, so a web server never serves half a project.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from moisson.errors import ConfigError
from publish.qgis.catalogue import ProjectSet, entries, generation, scan
from publish.qgis.icon import icon_png

if TYPE_CHECKING:
    from pipeline.runtime import Runtime

__all__ = ["export_projects"]


def _write(path: Path, body: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(body)
        os.replace(partial, path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc


def export_projects(
    runtime: Runtime, directory: Path, site: str | None = None, base: str | None = None
) -> ProjectSet:
    """Write every file to `directory`; `site` is Moisson's public URL (default `[qgis]
    site_url`), `base` the URL the folder is served at (default `<site><prefix>`)."""
    config = runtime.settings.qgis
    site = site or config.site_url
    if not site:
        raise ConfigError(
            "moisson qgis export needs Moisson's public URL for the record links: "
            "--site-url https://... or [qgis] site_url"
        )
    hits = scan(runtime.search)
    projects = ProjectSet.build(
        config,
        runtime.themer.thesaurus,
        runtime.settings.themes.languages,
        site,
        generation(hits),
        datetime.now(UTC).replace(microsecond=0),
        entries(runtime.store, hits),
        base=base,
    )
    for platform in projects.platforms():
        for suffix in ("qgs", "qgz"):
            body = projects.project(platform.name, suffix)
            _write(directory / "projects" / f"{platform.name}.{suffix}", body)
    for name, legacy in (("platforms.json", False), ("platforms-legacy.json", True)):
        listed = json.dumps(projects.platform_list(legacy), ensure_ascii=False, indent=2)
        _write(directory / name, listed.encode())
    _write(directory / "icon.png", config.icon.read_bytes() if config.icon else icon_png())
    return projects
