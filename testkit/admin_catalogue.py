"""A catalogue with something for every admin page, really harvested from the bundled
samples (samples/): themed records, duplicate clusters, a quarantined record, run history
and a retirement held by the circuit breaker.

- `sample-csw`: a copy of samples/csw plus one truncated XML file (quarantined with its
  reason and raw payload);
- `sample-dcat`, `sample-ckan`, `sample-ogcapi`: the bundled folders as they are;
- `legacy`: four sample CSW records republished by an old portal (so they cluster with
  their sample-csw copies by identifier); harvested, then three of them vanish and a second
  full run would retire three of four records: more than the breaker allows, so a review
  waits for an admin.

`admin_settings(folder)` writes nothing; `build_admin_catalogue(runtime, folder)` harvests
everything through `pipeline.harvest.harvest_source`, as the CLI and the scheduler do.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from moisson.config import Settings
from moisson.config_sections import BUNDLED_RULES
from pipeline.harvest import harvest_source
from pipeline.runtime import Runtime

__all__ = [
    "BROKEN_FILE",
    "LEGACY",
    "LEGACY_KEPT",
    "SAMPLES",
    "admin_settings",
    "build_admin_catalogue",
]

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
LEGACY = "legacy"
LEGACY_FILES = (
    "fr-zones-humides-vilaine-eptb.xml",
    "fr-natura2000-zps-bretagne.xml",
    "fr-cartes-bruit-lille.xml",
    "fr-ppri-vilaine-aval.xml",
)
LEGACY_KEPT = LEGACY_FILES[0]
BROKEN_FILE = "zz-truncated-record.xml"


def admin_settings(folder: Path, **overrides: Any) -> Settings:
    """Settings over SQLite files in `folder`, with the five sources above (their folders
    are made by build_admin_catalogue). `overrides` are top-level sections (e.g. `auth`)."""
    data: dict[str, Any] = {
        "store": {"url": f"sqlite:///{folder / 'store.db'}"},
        "index": {"url": f"sqlite:///{folder / 'index.db'}"},
        "harvest": {"allow_files": True},
        "retirement": {"grace_runs": 1, "grace_days": 0, "breaker_share": 0.5},
        "themes": {"rules": str(folder / "theme-rules.yaml")},
        "sources": [
            {"id": "sample-csw", "kind": "csw", "url": (folder / "csw").as_uri(),
             "name": "Sample regional SDI"},
            {"id": "sample-dcat", "kind": "dcat", "url": (SAMPLES / "dcat").as_uri(),
             "name": "Sample open-data portal"},
            {"id": "sample-ckan", "kind": "ckan", "url": (SAMPLES / "ckan").as_uri(),
             "name": "Sample CKAN portal"},
            {"id": "sample-ogcapi", "kind": "ogcapi-records",
             "url": (SAMPLES / "ogcapi").as_uri(), "name": "Sample OGC API Records"},
            {"id": LEGACY, "kind": "csw", "url": (folder / "legacy").as_uri(),
             "name": "Legacy portal", "schedule": {"cron": "0 3 * * *"}},
        ],
    }  # fmt: skip
    data.update(overrides)
    return Settings.model_validate(data)


def _prepare_folders(folder: Path) -> None:
    csw = folder / "csw"
    shutil.copytree(SAMPLES / "csw", csw)
    text = (csw / LEGACY_FILES[1]).read_text(encoding="utf-8")
    (csw / BROKEN_FILE).write_text(text[: len(text) // 2], encoding="utf-8")
    legacy = folder / "legacy"
    legacy.mkdir()
    for name in LEGACY_FILES:
        shutil.copy(SAMPLES / "csw" / name, legacy / name)


def build_admin_catalogue(runtime: Runtime, folder: Path) -> None:
    """Make the source folders in `folder` (the one given to admin_settings), copy the
    bundled rules to the configured rules file, and harvest every source; then remove all
    legacy records but one and harvest `legacy` again, so its retirement is held."""
    rules = runtime.settings.themes.rules_path
    if not rules.exists():
        shutil.copy(BUNDLED_RULES, rules)
    _prepare_folders(folder)
    for source in runtime.settings.sources:
        harvest_source(runtime, source, full=True)
    for name in LEGACY_FILES:
        if name != LEGACY_KEPT:
            (folder / "legacy" / name).unlink()
    harvest_source(runtime, runtime.settings.source(LEGACY), full=True)
