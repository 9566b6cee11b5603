"""Every record the publish tests serialise: the bundled samples (four source kinds) and every
record of ../shared/fixtures (CSW/ISO/Dublin Core, DCAT, CKAN, OGC API Records), parsed by
the real readers and themed by the real company thesaurus, as the store would hold them."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

from harvester.dcat import SUFFIX_TYPES, read_dcat_file
from harvester.formats.ckan import read_ckan_document
from harvester.formats.csw_response import read_document
from harvester.formats.ogcapi_records import read_records_page
from indexer.themes import Themer, load_themer
from moisson.config import Settings
from moisson.errors import MoissonError
from moisson.record import Harvested, Record
from publish.scheme import ThemeScheme
from testkit.fixture_records import ckan_records, dcat_records
from tests.conftest import ROOT, SHARED_FIXTURES

__all__ = ["fixture_items", "sample_items", "scheme", "themer"]

SAMPLES = ROOT / "samples"


@cache
def themer() -> Themer:
    return load_themer(Settings().themes)


@cache
def scheme() -> ThemeScheme:
    return ThemeScheme.from_thesaurus(themer().thesaurus)


def _ogcapi(root: Path, source: str) -> Iterator[Harvested]:
    for path in sorted(root.rglob("*.json")):
        try:
            page = read_records_page(path.read_bytes(), source)
        except MoissonError:  # landing pages, collections, conformance hold no record
            continue
        yield from page.items


def _themed(items: Iterator[Harvested]) -> list[tuple[Record, Harvested]]:
    return [(themer().themed(i.record), i) for i in items if i.record is not None]


def sample_items() -> list[tuple[Record, Harvested]]:
    """(themed record, harvested item with its raw payload) for every bundled sample."""
    items: list[Harvested] = []
    for path in sorted((SAMPLES / "csw").glob("*.xml")):
        items.extend(read_document(path.read_bytes(), "sample-csw").items)
    for path in sorted((SAMPLES / "dcat").iterdir()):
        kind = SUFFIX_TYPES.get(path.suffix.lower())
        if kind:
            items.extend(read_dcat_file(path.read_bytes(), kind, "sample-dcat", base=path.as_uri()))
    items.extend(
        read_ckan_document((SAMPLES / "ckan/package_search.json").read_bytes(), "sample-ckan").items
    )
    items.extend(_ogcapi(SAMPLES / "ogcapi", "sample-ogcapi"))
    return _themed(iter(items))


def fixture_items() -> list[tuple[Record, Harvested | None]]:
    """Every fixture record (themed); CSW ones with their raw payload, others without."""
    if not SHARED_FIXTURES.is_dir():
        return []
    csw: list[Harvested] = []
    for path in sorted((SHARED_FIXTURES / "csw").rglob("*.xml")):
        try:
            csw.extend(read_document(path.read_bytes(), f"csw-{path.parent.name}").items)
        except MoissonError:
            continue
    out: list[tuple[Record, Harvested | None]] = list(_themed(iter(csw)))
    others = [
        *dcat_records(SHARED_FIXTURES / "dcat"),
        *ckan_records(SHARED_FIXTURES / "ckan"),
    ]
    out.extend((themer().themed(r), None) for r in others)
    out.extend(_themed(_ogcapi(SHARED_FIXTURES / "ogcapi", "ogcapi-fixtures")))
    return out
