"""Every plug point of Moisson, in one table: what it is, the Protocol it must meet, its
entry-point group and the built-in implementations.

| plug point | keyed by          | must meet                              | entry-point group   |
|------------|-------------------|----------------------------------------|---------------------|
| `sources`  | source `kind`     | `harvester.base.Source`                | `moisson.sources`   |
| `backends` | index URL scheme  | `indexer.backends.base.SearchBackend`  | `moisson.backends`  |
| `stores`   | store URL scheme  | `indexer.store.Store` (SQLAlchemy Core) | `moisson.stores`    |
| `outputs`  | protocol name     | `publish.base.OutputProtocol`          | `moisson.outputs`   |

Built-ins register through the same path a third party uses: a `module:attribute` string,
loaded on first use. Backends and stores are registered as factories taking the URL
(`module:Class.from_url`, `module:Class`), output protocols as factories taking the Settings
(`module:Class.from_settings`) so each can read its own config section. Entry points of
installed distributions are read once and may add names (or replace a built-in).
docs/plugins.md shows one small example per plug point.

Names are resolved lazily, by string: this module imports nothing above the core, so the
config can validate each source against its kind's options model without the core importing
the harvester. An unknown name raises ConfigError listing the known ones.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from moisson.errors import ConfigError

if TYPE_CHECKING:
    from moisson.config_sections import SourceSettings

__all__ = ["PLUG_POINTS", "PlugPoint", "known", "load", "options_model"]


@dataclass(frozen=True)
class PlugPoint:
    """One plug point: what its names mean, what an implementation must meet, and the
    built-in implementations as `module:attribute` strings."""

    keyed_by: str
    protocol: str
    group: str
    builtins: dict[str, str] = field(default_factory=dict)


PLUG_POINTS: dict[str, PlugPoint] = {
    "sources": PlugPoint(
        keyed_by="source kind",
        protocol="harvester.base:Source",
        group="moisson.sources",
        builtins={
            "csw": "harvester.csw:CswSource",
            "dcat": "harvester.dcat:DcatSource",
            "ckan": "harvester.ckan:CkanSource",
            "ogcapi-records": "harvester.ogcapi_records:OgcApiRecordsSource",
            "postgis": "harvester.postgis:PostgisSource",
            "files": "harvester.files:FilesSource",
        },
    ),
    "backends": PlugPoint(
        keyed_by="index URL scheme",
        protocol="indexer.backends.base:SearchBackend",
        group="moisson.backends",
        builtins={
            "sqlite": "indexer.backends.sqlite:SqliteBackend.from_url",
            "http": "indexer.backends.opensearch:OpenSearchBackend.from_url",
            "https": "indexer.backends.opensearch:OpenSearchBackend.from_url",
            "tantivy": "indexer.backends.tantivy_index:TantivyBackend.from_url",
        },
    ),
    "stores": PlugPoint(
        keyed_by="store URL scheme",
        protocol="indexer.store:Store",
        group="moisson.stores",
        builtins={
            "sqlite": "indexer.store:Store",
            "postgresql": "indexer.store:Store",
            "postgresql+psycopg": "indexer.store:Store",
        },
    ),
    "outputs": PlugPoint(
        keyed_by="output protocol name",
        protocol="publish.base:OutputProtocol",
        group="moisson.outputs",
        builtins={
            "csw": "publish.csw.endpoint:CswProtocol.from_settings",
            "ogcapi-records": "publish.ogcapi_records:OgcApiRecords.from_settings",
            "dcat": "publish.dcat_endpoint:DcatEndpoint.from_settings",
            "gn4": "publish.gn4:Gn4Facade.from_settings",
            "qgis": "publish.qgis:QgisProjects.from_settings",
        },
    ),
}


@cache
def _names(point: str) -> dict[str, str]:
    plug = PLUG_POINTS[point]
    found = dict(plug.builtins)
    for ep in entry_points(group=plug.group):
        found[ep.name] = ep.value
    return found


def known(point: str) -> list[str]:
    """The names registered for a plug point, sorted."""
    return sorted(_names(point))


def load(point: str, name: str) -> Any:
    """The implementation registered as `name` (imported on first use)."""
    target = _names(point).get(name)
    if target is None:
        what = PLUG_POINTS[point].keyed_by
        raise ConfigError(f"unknown {what} {name!r}; known {what}s: {', '.join(known(point))}")
    module_name, _, attr = target.partition(":")
    found = importlib.import_module(module_name)
    for part in attr.split("."):  # `module:Class.factory` names a classmethod
        found = getattr(found, part)
    return found


def options_model(kind: str) -> type[SourceSettings]:
    """The options model of a source kind (its class's `Options`), for config validation."""
    model: type[SourceSettings] = load("sources", kind).Options
    return model
