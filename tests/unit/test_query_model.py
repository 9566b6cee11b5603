"""The neutral query model (moisson/query.py): what protocols build and backends compile."""

from __future__ import annotations

from datetime import date

import pytest

from moisson.errors import BadQuery
from moisson.query import (
    MAX_DEPTH,
    And,
    FieldFilter,
    Not,
    Or,
    Phrase,
    Query,
    Range,
    Sort,
    Spatial,
    Term,
    walk,
)
from moisson.record import BBox


def test_a_tree_survives_a_json_round_trip() -> None:
    query = Query(
        where=And(
            children=(
                Or(children=(Term(text="eau"), Phrase(text="zones humides", fields=("title",)))),
                Not(child=FieldFilter(field="doi", values=("10.1000/x",))),
                Range(field="created", gte=date(2020, 1, 1)),
                Spatial(bbox=BBox(west=0, south=40, east=10, north=50), relation="within"),
            )
        ),
        sort_by=[Sort(field="modified", direction="desc")],
        start=7,
    )
    assert Query.model_validate_json(query.model_dump_json()) == query


def test_start_wins_over_page_and_page_gives_the_offset_otherwise() -> None:
    assert Query(page=3, size=10).offset() == 20
    assert Query(page=3, size=10, start=5).offset() == 5


def test_the_legacy_sort_is_the_ordering_when_sort_by_is_empty() -> None:
    assert Query(sort="title").ordering() == [Sort(field="title", direction="asc")]
    assert Query().ordering() == [Sort(field="relevance", direction="desc")]
    assert Query(sort_by=[Sort(field="created")]).ordering() == [Sort(field="created")]


def test_shorthands_become_conditions() -> None:
    box = BBox(west=0, south=0, east=1, north=1)
    query = Query(filters={"source": ["a"]}, bbox=box, date_to=date(2020, 1, 1))
    assert query.conditions() == [
        FieldFilter(field="source", values=("a",)),
        Spatial(bbox=box),
        Range(field="date", lte=date(2020, 1, 1)),
    ]


def test_a_deeply_nested_tree_is_refused_with_a_bad_query() -> None:
    node: Term | Not = Term(text="eau")
    for _ in range(MAX_DEPTH + 1):
        node = Not(child=node)
    with pytest.raises(BadQuery, match="nested deeper"):
        Query(where=node)


def test_an_unknown_filter_field_is_refused_with_the_known_ones() -> None:
    with pytest.raises(BadQuery, match=r"unknown filter 'nope'.*doi"):
        Query(filters={"nope": ["x"]})


def test_walk_lists_every_node() -> None:
    tree = And(children=(Term(text="a"), Not(child=Term(text="b"))))
    assert [type(n).__name__ for n in walk(tree)] == ["And", "Term", "Not", "Term"]


def test_a_tree_costing_too_many_engine_clauses_is_refused() -> None:
    phrases = tuple(Phrase(text=f"mot{n} autre{n} encore{n}") for n in range(101))
    with pytest.raises(BadQuery, match="too many words"):
        Query(where=Or(children=phrases))  # 101 x 3 words x 3 fields > 900
    Query(where=Or(children=phrases[:100]))  # exactly 900
