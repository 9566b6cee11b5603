"""Head words of short keywords (indexer/matching_text.py `keyword_head`): the label step's
last resort, 'regional geology' filed as geology."""

from __future__ import annotations

import pytest

from indexer.matching_text import keyword_head
from indexer.themes import load_themer
from moisson.config import ThemesSettings
from moisson.record import Keyword, Record


@pytest.mark.parametrize(
    ("label", "language", "head"),
    [
        ("regional-geology", "en", "geology"),
        ("Antarctic ecosystem", "en", "ecosystem"),
        ("écosystèmes polaires", "fr", "ecosystemes"),
        ("Kaderrichtlijn Water", "nl", "water"),
        ("Nature et environnement", "fr", None),  # a coordination has no single head
        ("quality of water", "en", None),
        ("Culture, Société, Service", "fr", None),  # a list
        ("référentiels : cadastre", "fr", None),  # a category path
        ("geology", "en", None),  # one word: the label step already looked it up
        ("bezešvá databáze", "cs", None),  # no rule for the language
        ("regional geology", None, None),
    ],
)
def test_the_head_of_a_short_keyword_depends_on_its_language(
    label: str, language: str | None, head: str | None
) -> None:
    assert keyword_head(label, language) == head


def test_a_keyword_is_filed_by_its_head_when_nothing_else_matches() -> None:
    themer = load_themer(ThemesSettings())
    record = Record.new(
        "test", "z", title="Zimbabwe survey", keywords=[Keyword(label="regional-geology")],
        language="eng",
    )  # fmt: skip
    [theme] = [t for t in themer.assign(record) if t.id == "geology"]
    [evidence] = theme.evidence
    assert (evidence.step, evidence.field, evidence.matched) == ("label", "keyword", "geology")


def test_no_head_is_tried_when_the_record_language_is_unknown() -> None:
    themer = load_themer(ThemesSettings())
    record = Record.new("test", "z", title="Zimbabwe", keywords=[Keyword(label="regional-geology")])
    assert themer.assign(record) == []
