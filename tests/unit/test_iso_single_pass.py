"""The one-walk ISO extractor (harvester/formats/path_walk.py) against the XPath reference.

Every ISO record of the shared fixtures, the samples and a batch of generated benchmark
records is mapped twice: by `PathSet.find` (one tree walk per path set, the harvest path)
and by `PathSet.find_by_xpath` (libxml2 XPath, path by path, what the tables mean). The
Records (or the rejection messages) must be identical, and so must every path's element
list, node for node and in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from bench.generate import generate_iso_records
from harvester.formats.iso19139 import iso_table, parse_iso
from harvester.formats.path_walk import PathSet, TablePath
from harvester.formats.xmlsafe import parse_xml
from moisson.errors import MoissonError, RecordRejected

REPO = Path(__file__).resolve().parents[2]
RECORD_TAGS = {"MD_Metadata", "MI_Metadata", "CHE_MD_Metadata"}
GENERATED = 200


def iso_roots(data: bytes) -> list[etree._Element]:
    try:
        root = parse_xml(data)
    except MoissonError:
        return []  # hostile or broken fixtures are other tests' business
    return [
        el
        for el in root.iter()
        if isinstance(el.tag, str) and etree.QName(el).localname in RECORD_TAGS
    ]


def fixture_roots(shared_fixtures: Path) -> Iterator[tuple[str, etree._Element]]:
    files = sorted(shared_fixtures.rglob("*.xml")) + sorted((REPO / "samples").rglob("*.xml"))
    for path in files:
        for index, root in enumerate(iso_roots(path.read_bytes())):
            yield f"{path.name}#{index}", root


def generated_roots() -> Iterator[tuple[str, etree._Element]]:
    for index, (_, xml) in enumerate(generate_iso_records(GENERATED)):
        yield f"generated#{index}", parse_xml(xml)


def mapped(root: etree._Element, find: object) -> object:
    try:
        return parse_iso(root, "src", find).model_dump()  # type: ignore[arg-type]
    except RecordRejected as exc:
        return ("rejected", exc.message)


def same_paths(paths: PathSet, context: etree._Element, where: str) -> None:
    walked, reference = paths.find(context), paths.find_by_xpath(context)
    assert walked.keys() == reference.keys(), where
    for name, elements in reference.items():
        assert [id(e) for e in walked[name]] == [id(e) for e in elements], f"{where}: {name}"


def check_root(label: str, root: etree._Element) -> None:
    assert mapped(root, PathSet.find) == mapped(root, PathSet.find_by_xpath), label
    table = iso_table(root)
    same_paths(table.root_paths, root, label)
    groups = (
        table.identifiers, table.keywords, table.record_contacts, table.resource_contacts,
        table.dates, table.boxes, table.periods, table.links, table.constraints,
    )  # fmt: skip
    contexts = [root, *table.identification(root)]  # type: ignore[misc]
    for ident in contexts[1:]:
        same_paths(table.ident_paths, ident, label)
    for group in groups:
        if group.nested:
            for context in contexts:
                for occurrence in group.each(context):  # type: ignore[union-attr]
                    same_paths(group.nested_paths, occurrence, label)


def test_every_fixture_record_maps_the_same_as_by_xpath(shared_fixtures: Path) -> None:
    checked = 0
    for label, root in fixture_roots(shared_fixtures):
        check_root(label, root)
        checked += 1
    assert checked >= 100, f"only {checked} ISO records found in the fixtures"


def test_generated_records_map_the_same_as_by_xpath() -> None:
    for label, root in generated_roots():
        check_root(label, root)


NS = {"a": "urn:a", "b": "urn:b"}
DOC = etree.fromstring(
    b"<a:r xmlns:a='urn:a' xmlns:b='urn:b'><a:x><b:y><a:t>1</a:t></b:y><!-- c -->"
    b"<a:y><a:t>2</a:t><a:u>3</a:u><a:t>4</a:t></a:y></a:x><a:z><a:t>5</a:t></a:z></a:r>"
)


@pytest.mark.parametrize(
    "path",
    [
        "a:x/*/a:t",
        "a:x/a:y/a:t | a:z/a:t",
        "a:x/*/a:t | a:x/a:y/a:u",  # interleaved siblings: answered by XPath
        "a:x/* | a:x/a:y",  # the same element twice: answered by XPath
        "a:x | a:x/*/a:t",
        "*/*",
        "a:none/a:t",
    ],
)
def test_path_set_matches_xpath_on_tricky_paths(path: str) -> None:
    paths = PathSet({"p": TablePath(path, NS)})
    assert paths.find(DOC) == paths.find_by_xpath(DOC)


@pytest.mark.parametrize("path", ["a:x//a:t", "a:x[1]", "a:x/text()", "../a:x", "c:x", ""])
def test_unsupported_table_paths_fail_when_the_table_is_built(path: str) -> None:
    with pytest.raises((ValueError, etree.XPathSyntaxError)):
        PathSet({"p": TablePath(path, NS)})
