"""Source kind name -> Source class: a plain dict.

Built-in kinds register through the same path a third party would: the `moisson.sources`
entry-point group, read once. An unknown kind fails at config load and lists known kinds.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from moisson.errors import ConfigError

if TYPE_CHECKING:
    from harvester.base import Source
    from moisson.config import SourceSettings

__all__ = ["known_kinds", "options_model", "source_class"]

# Built-ins, also declared as entry points in pyproject.toml; listed here so a source tree
# that is not pip-installed (a plain checkout on sys.path) still works.
_BUILTIN = {
    "csw": "harvester.csw:CswSource",
    "dcat": "harvester.dcat:DcatSource",
    "ckan": "harvester.ckan:CkanSource",
    "ogcapi-records": "harvester.ogcapi_records:OgcApiRecordsSource",
}


@cache
def _registry() -> dict[str, str]:
    found = dict(_BUILTIN)
    for ep in entry_points(group="moisson.sources"):
        found[ep.name] = ep.value
    return found


def known_kinds() -> list[str]:
    return sorted(_registry())


def source_class(kind: str) -> type[Source]:
    target = _registry().get(kind)
    if target is None:
        raise ConfigError(f"unknown source kind {kind!r}; known kinds: {', '.join(known_kinds())}")
    module_name, _, attr = target.partition(":")
    module = __import__(module_name, fromlist=[attr])
    cls: type[Source] = getattr(module, attr)
    return cls


def options_model(kind: str) -> type[SourceSettings]:
    return source_class(kind).Options
