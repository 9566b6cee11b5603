"""The text step's confirmed label (indexer/text_scoring.py `CONFIRMED`): a label the title
names and the abstract repeats files the record with one point less than the threshold;
the same label in one field only does not (issue 18, Flemish waterway statistics)."""

from __future__ import annotations

import pytest

from indexer.themes import Themer, load_themer
from moisson.config import ThemesSettings
from moisson.record import Record

ABSTRACT = "hoeveelheid goederen geladen langs waterwegen beheerd door De Vlaamse Waterweg"


@pytest.fixture(scope="module")
def themer() -> Themer:
    return load_themer(ThemesSettings())


def _text_themes(themer: Themer, title: str, abstract: str) -> dict[str, str]:
    record = Record.new("test", title, title=title, abstract=abstract, language="dut")
    return {
        t.id: t.evidence[0].field for t in themer.assign(record) if t.evidence[0].step == "text"
    }


def test_a_label_in_the_title_repeated_in_the_abstract_files_the_record(themer: Themer) -> None:
    themes = _text_themes(themer, "aantal ton geladen op de waterwegen", ABSTRACT)
    assert themes == {"transport": "title"}


def test_the_same_label_in_the_abstract_only_files_nothing(themer: Themer) -> None:
    assert _text_themes(themer, "aantal ton geladen", ABSTRACT) == {}


def test_the_same_label_in_the_title_only_files_nothing(themer: Themer) -> None:
    title = "aantal ton geladen op de waterwegen"
    assert _text_themes(themer, title, "hoeveelheid goederen geladen, uitgedrukt in ton") == {}
