"""The query side of the embedded index: a neutral query tree -> rowid masks and scores.

The index has one single-column FTS5 table per field (title, keywords, abstract; see
indexer/backends/sqlite.py for why). The tree of moisson/query.py (parsed from the user's
text by indexer/query_text.py, or built by a protocol) is compiled here: each text leaf
becomes one FTS5 expression valid inside one column (`fts_leaf`: a word as its French/English
alternatives, a phrase, a prefix, a NEAR group, from indexer/analysis.analyse_leaf), run on
each of its fields; other leaves (field filters, ranges, boxes) become masks over the
in-memory columns; And, Or and Not are evaluated with numpy over dense boolean arrays
indexed by rowid. That keeps FTS5 semantics across fields ('foret bretagne' matches 'foret'
in the title and 'bretagne' in the abstract) and gives the per-field matches that ranking
needs, without FTS5's bm25() cost. No user text reaches FTS5 unquoted: every stem is quoted.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from indexer.analysis import analyse_leaf
from indexer.query_text import positive_leaves
from moisson.query import TEXT_FIELDS, And, Near, Node, Not, Or, Phrase, Prefix, Term, TextLeaf

__all__ = [
    "FIELDS",
    "WEIGHTS",
    "Leaf",
    "LeafMatch",
    "evaluate",
    "fts_leaf",
    "positive_leaves",
    "scores_of",
]


FIELDS: tuple[str, ...] = TEXT_FIELDS
# BM25 field weights: a title match is worth more than a keyword one, a keyword more than
# one in the abstract.
WEIGHTS: dict[str, float] = {"title": 10.0, "keywords": 4.0, "abstract": 1.0}
_TEXT_LEAVES = (Term, Phrase, Prefix, Near)


@dataclass(frozen=True)
class Leaf:
    """An FTS5 expression valid inside one single-column table, and the fields to run it on."""

    match: str
    fields: tuple[str, ...]
    stems: tuple[str, ...] = ()  # for highlighting
    prefixes: tuple[str, ...] = ()
    # A one-word leaf's alternatives (what `match` ORs), which saved posting sets can
    # answer (sqlite_postings.py); () for phrases, prefixes and NEAR groups.
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeafMatch:
    """Rowids matching a leaf, per field, and as a dense mask over all rowids."""

    by_field: dict[str, np.ndarray]
    mask: np.ndarray


class _Scored(Protocol):
    """What scoring reads of the in-memory columns (sqlite_columns.Columns)."""

    saturation: dict[str, np.ndarray]
    documents: int


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_leaf(leaf: TextLeaf) -> Leaf:
    """The FTS5 expression of a text leaf (raises BadQuery when it holds no word)."""
    terms = analyse_leaf(leaf)
    if terms.shape == "word":
        match = " OR ".join(_quote(a) for a in terms.groups[0])
        return Leaf(match, terms.fields, terms.stems, terms.prefixes, terms.groups[0])
    elif terms.shape == "phrase":
        match = _quote(" ".join(terms.groups[0]))
    elif terms.shape == "prefix":
        match = _quote(" ".join(terms.groups[0])) + " *"
    else:
        phrases = " ".join(_quote(" ".join(group)) for group in terms.groups)
        match = f"NEAR({phrases}, {terms.distance})"
    return Leaf(match, terms.fields, terms.stems, terms.prefixes)


def evaluate(
    node: Node,
    text: Callable[[TextLeaf], np.ndarray],
    other: Callable[[Node], np.ndarray],
    everything: np.ndarray,
) -> np.ndarray:
    """Dense boolean mask of the rowids matching `node`: `text` gives a text leaf's mask,
    `other` any other leaf's; `everything` is what a Not takes its complement within."""
    if isinstance(node, _TEXT_LEAVES):
        return text(node)
    if isinstance(node, Not):
        return np.asarray(everything & ~evaluate(node.child, text, other, everything))
    if isinstance(node, And | Or):
        masks = [evaluate(child, text, other, everything) for child in node.children]
        combine = np.logical_and if isinstance(node, And) else np.logical_or
        return combine.reduce(masks)  # type: ignore[no-any-return]
    return other(node)


def scores_of(matches: list[LeafMatch], columns: _Scored) -> np.ndarray:
    """BM25 with field weights and binary term frequency, for every rowid (0 where nothing
    matched), so a search that only changes filters reuses it (sqlite_cache.py).

    score = sum over leaves and fields of idf(leaf) * WEIGHTS[field] * saturation[field],
    where saturation is BM25's length normalisation with tf = 1 (precomputed per record by
    the columns). Metadata fields are short, so whether a field contains the term matters far
    more than how often; what this buys is skipping FTS5's bm25(), which costs ~0.9 us per
    matching row (25 ms for a common word at 100k records).
    """
    saturation, documents = columns.saturation, columns.documents
    total = np.zeros(len(saturation["title"]), dtype=np.float32)
    for match in matches:
        frequency = int(np.count_nonzero(match.mask))
        idf = math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))
        for field, found in match.by_field.items():
            total[found] += np.float32(idf * WEIGHTS[field]) * saturation[field][found]
    return total


def fts_match(conn: sqlite3.Connection, leaf: Leaf, size: int) -> LeafMatch:
    """Rowids matching `leaf` in each of its fields through FTS5 alone, in one statement
    (sqlite_postings.Postings answers from its saved sets first, then through this)."""
    mask = np.zeros(size, dtype=bool)
    if not leaf.fields:
        return LeafMatch({}, mask)
    sql = "SELECT " + ", ".join(
        f"(SELECT group_concat(rowid) FROM fts_{f} WHERE fts_{f} MATCH ?1)" for f in leaf.fields
    )
    row = conn.execute(sql, (leaf.match,)).fetchone()
    by_field = {f: _rowids(text, size) for f, text in zip(leaf.fields, row, strict=True)}
    for found in by_field.values():
        mask[found] = True
    return LeafMatch(by_field, mask)


def parse_rowids(text: str | None) -> np.ndarray:
    """Rowids of a group_concat (int64)."""
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")


def _rowids(text: str | None, size: int) -> np.ndarray:
    """Parse a group_concat of rowids; drop rowids newer than the columns know."""
    found = parse_rowids(text)
    return found[found < size].astype(np.int32)  # half the bytes in the match cache
