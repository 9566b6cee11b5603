"""The ISO mapper's fast paths give exactly what the validated, reference ways give.

- `trusted_record` and `trusted_model` (no pydantic validation) against `Record.new` and
  `Record.model_validate` (full validation), on every ISO record of the fixtures, the samples
  and generated benchmark records: equal Records and sub-models, same fields set, same field
  order; and input it cannot vouch for still gets the model's own validation error.
- `text_and_href` against `(text_of, href_of)` on every element of those records.
"""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from bench.generate import generate_iso_records
from harvester.formats.iso19139 import parse_iso
from harvester.formats.iso_values import href_of, text_and_href, text_of
from harvester.formats.trusted_record import trusted_record
from harvester.formats.xmlsafe import parse_xml
from moisson.errors import RecordRejected
from moisson.record import PUBLIC, Keyword, Record
from tests.unit.test_iso_single_pass import fixture_roots, generated_roots


def fields_set_tree(value: object) -> object:
    """Every model's fields set and field order, down through lists and sub-models."""
    if isinstance(value, BaseModel):
        return (
            type(value).__name__,
            sorted(value.model_fields_set),
            [(name, fields_set_tree(item)) for name, item in value.__dict__.items()],
        )
    if isinstance(value, list):
        return [fields_set_tree(item) for item in value]
    return type(value).__name__


def test_trusted_records_equal_validated_ones(shared_fixtures: Path) -> None:
    checked = 0
    for label, root in [*fixture_roots(shared_fixtures), *generated_roots()]:
        try:
            record = parse_iso(root, "src")
        except RecordRejected:
            continue
        given = {
            name: getattr(record, name) for name in record.model_fields_set - {"id", "provenance"}
        }
        validated = Record.new("src", record.provenance.original_id, **given)
        assert record == validated, label
        assert record.model_fields_set == validated.model_fields_set, label
        assert list(record.__dict__) == list(validated.__dict__), label
        assert record.model_dump_json() == validated.model_dump_json(), label
        # and every sub-model (Keyword, Link, Contact, Identifier, BBox) as validation builds it
        revalidated = Record.model_validate(record.model_dump())
        assert record == revalidated, label
        for name in ("identifiers", "keywords", "contacts", "bboxes", "links"):
            mine, theirs = getattr(record, name), getattr(revalidated, name)
            assert fields_set_tree(mine) == fields_set_tree(theirs), f"{label}: {name}"
        checked += 1
    assert checked >= 100


def test_every_element_reads_the_same_text_and_href(shared_fixtures: Path) -> None:
    checked = 0
    for label, root in [*fixture_roots(shared_fixtures), *generated_roots()]:
        for element in root.iter():
            if isinstance(element.tag, str):
                assert text_and_href(element) == (text_of(element), href_of(element)), label
                checked += 1
    assert checked > 10_000


@pytest.mark.parametrize("title", ["", "   ", " padded", "padded\n"])
def test_titles_it_cannot_vouch_for_go_through_validation(title: str) -> None:
    if title.strip():
        assert trusted_record("s", "o", title=title).title == title.strip()
    else:
        with pytest.raises(ValidationError, match="title is empty"):
            trusted_record("s", "o", title=title)


def test_unknown_fields_still_fail_validation() -> None:
    with pytest.raises(ValidationError, match="not_a_field"):
        trusted_record("s", "o", title="t", not_a_field=1)


def test_trusted_records_cross_processes_and_copies_intact() -> None:
    """Harvest workers pickle Records to the writer; the store copies them."""
    for _, xml in generate_iso_records(20):
        record = parse_iso(parse_xml(xml), "src")
        for copied in (pickle.loads(pickle.dumps(record)), copy.deepcopy(record)):
            assert copied == record
            assert fields_set_tree(copied.keywords) == fields_set_tree(record.keywords)
            assert fields_set_tree(copied.bboxes) == fields_set_tree(record.bboxes)


def test_trusted_records_never_share_a_default_list() -> None:
    first, second = trusted_record("s", "a", title="A"), trusted_record("s", "b", title="B")
    first.keywords.append(Keyword(label="k"))
    first.access.append("staff")
    assert second.keywords == [] and second.access == [PUBLIC]
    assert first.themes is not second.themes
