"""Licence classes (indexer/licences.py): the datahub's `license` facet keys, from the
licence statement and use limitations, the way its runtime script reads them."""

from __future__ import annotations

import pytest

from indexer.licences import licence_classes
from moisson.record import Record


@pytest.mark.parametrize(
    ("licence", "constraints", "expected"),
    [
        ("Open Database License (ODbL)", [], ["odbl"]),
        ("Licence Ouverte / Open Licence version 2.0 (Etalab-2.0)", [], ["etalab-v2"]),
        ("Licence ouverte Etalab", [], ["etalab"]),
        ("Creative Commons Attribution 4.0 (CC-BY 4.0)", [], ["cc-by"]),
        ("CC-BY-SA 4.0", [], ["cc-by-sa"]),
        (None, ["Pas de restriction", "CC0 1.0"], ["cc0"]),
        ("Public Domain Dedication and Licence", [], ["pddl"]),
        (None, ["Usage interne uniquement"], ["unknown"]),
        (None, [], ["unknown"]),
    ],
)
def test_licence_classes(licence: str | None, constraints: list[str], expected: list[str]) -> None:
    record = Record.new("s", "1", title="t", licence=licence, constraints=constraints)
    assert licence_classes(record) == expected
