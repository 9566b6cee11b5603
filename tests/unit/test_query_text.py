"""The one parser of user text (indexer/query_text.py): what trees q becomes."""

from __future__ import annotations

import pytest

from indexer.query_text import NOTHING, advanced_tree, expanded, plain_tree, text_tree
from moisson.errors import BadQuery
from moisson.query import (
    And,
    FieldFilter,
    Near,
    Not,
    Or,
    Phrase,
    Prefix,
    Query,
    Term,
    ThemeExpansion,
)


def test_plain_text_is_an_and_of_words_without_stopwords() -> None:
    assert plain_tree("Occupation du SOL") == And(
        children=(Term(text="occupation"), Term(text="sol"))
    )
    assert plain_tree("the") == NOTHING  # stopwords are never required terms
    assert plain_tree('title: "x" OR *') == And(
        children=(Term(text="title"), Term(text="x"))  # syntax is text; 'or' a stopword
    )
    assert plain_tree("  ") is None


def test_advanced_syntax_becomes_the_neutral_tree() -> None:
    assert advanced_tree('title: foret OR "zones humides" NOT bretagne*') == Or(
        children=(
            Term(text="foret", fields=("title",)),
            And(
                children=(
                    Phrase(text="zones humides"),
                    Not(child=Prefix(text="bretagne")),
                )
            ),
        )
    )
    assert advanced_tree('{title keywords}: NEAR(zones "cours d\'eau", 3)') == Near(
        phrases=("zones", "cours d'eau"), distance=3, fields=("title", "keywords")
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"open', "unterminated quote"),
        ("a AND", "ends too early"),
        ("colour: red", "unknown field 'colour'"),
        ("title: {abstract}: x", "leaves no field"),
        ("NEAR(a)", "at least two"),
        ("(" * 40 + "a" + ")" * 40, "deeper than 32"),
        ('"!!"', "nothing to search for"),
    ],
)
def test_advanced_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        advanced_tree(text)


def test_expansion_is_a_tree_rewrite() -> None:
    expansion = ThemeExpansion(phrase="zones humides", concepts=["wetlands"])
    tree = plain_tree("zones humides loire")
    assert tree is not None
    assert expanded(tree, "zones humides loire", [expansion]) == Or(
        children=(
            tree,
            And(children=(FieldFilter(field="theme", values=("wetlands",)), Term(text="loire"))),
        )
    )
    assert text_tree(Query(q="zones humides loire", expansions=[expansion])) == expanded(
        tree, "zones humides loire", [expansion]
    )


def test_a_protocol_text_tree_wins_over_q() -> None:
    assert text_tree(Query(q="ignored", text=Term(text="eau"))) == Term(text="eau")
