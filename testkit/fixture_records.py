"""Records from the shared fixtures, through the real parsers, for the theme tests: every
CSW/ISO/Dublin Core, DCAT and CKAN record the harvesters would store (quarantined items,
capabilities documents and exception reports hold no record and are skipped)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from harvester.dcat import SUFFIX_TYPES, read_dcat_file
from harvester.formats.ckan import read_ckan_document
from harvester.formats.csw_response import read_document
from moisson.errors import MoissonError
from moisson.record import Harvested, Record

__all__ = ["ckan_records", "csw_records", "dcat_records", "fixture_records"]


def _records(items: Iterable[Harvested]) -> Iterator[Record]:
    return (item.record for item in items if item.record is not None)


def csw_records(root: Path) -> Iterator[Record]:
    """Every record the CSW/ISO/Dublin Core parser accepts under `root` (source = folder)."""
    for path in sorted(root.rglob("*.xml")):
        try:
            document = read_document(path.read_bytes(), f"csw-{path.parent.name}")
        except MoissonError:  # capabilities and exception reports hold no records
            continue
        yield from _records(document.items)


def dcat_records(root: Path) -> Iterator[Record]:
    """Every dataset and service the DCAT reader accepts under `root` (source = folder)."""
    for path in sorted(root.rglob("*")):
        content_type = SUFFIX_TYPES.get(path.suffix.lower())
        if content_type is None or not path.is_file():
            continue
        source, base = f"dcat-{path.parent.name}", path.resolve().as_uri()
        items = read_dcat_file(path.read_bytes(), content_type, source, base=base)
        yield from _records(items)


def ckan_records(root: Path) -> Iterator[Record]:
    """Every package the CKAN reader accepts under `root` (source = folder)."""
    for path in sorted(root.rglob("*.json")):
        try:
            document = read_ckan_document(path.read_bytes(), f"ckan-{path.parent.name}")
        except MoissonError:  # error bodies and other API answers hold no packages
            continue
        yield from _records(document.items)


def fixture_records(fixtures: Path) -> list[Record]:
    return [
        *csw_records(fixtures / "csw"),
        *dcat_records(fixtures / "dcat"),
        *ckan_records(fixtures / "ckan"),
    ]
