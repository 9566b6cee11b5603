"""What a Record becomes in the tantivy index: the schema and one document per record.

Everything a search reads is derived by indexer/backends/documents.py, the same for every
backend; this module only lays it out in tantivy fields:

- `title`, `keywords`, `abstract`: the analysed text of indexer/analysis.analyse (French
  stems in word order, then the English variants), split on whitespace by tantivy, with
  positions (phrases). Analysis stays in Python so the stems are exactly the SQLite and
  OpenSearch ones, and a query term computed by analyse_leaf is a term of the index.
- keyword fields (every KEYWORD_FIELDS name, plus the hidden access and collapse facets):
  untokenised ("raw") text, indexed for filters and a columnar fast field, so facets are
  counted by tantivy's `terms` aggregation in Rust, never by Python over the hits.
- dates: date fields (indexed and fast); `title_key`: the title's words, normalised
  (analysis.tokenise), fast (title sort, title suggestions); `sortkeys`: stored JSON of
  every sort key, for the orderings tantivy cannot run itself (tantivy_sort.py).
- boxes: the envelope of every box (`env_*`: exact for `within`) and up to BOX_SLOTS boxes
  in numbered slots (`b0_west`...: `intersects` asks each slot). A record with more boxes
  keeps the union of the rest in its last slot, which may intersect a box that none of
  those boxes does; `box_overflow` marks such records (rare in catalogues: one box each).
- `payload`: the hit payload JSON (documents.hit_payload), stored, not indexed.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import tantivy

from indexer.analysis import analyse, tokenise
from indexer.backends.documents import (
    ACCESS,
    CLUSTER_SOURCE,
    OUTRANKED,
    access_values,
    collapse_values,
    date_values,
    facet_values,
    hit_payload,
    keyword_values,
    searchable_fields,
)
from moisson.query import DATE_FIELDS, KEYWORD_FIELDS, SORT_FIELDS, TEXT_FIELDS
from moisson.record import BBox, Record

__all__ = [
    "BOX_SLOTS",
    "HIDDEN",
    "KEYWORDS",
    "build_schema",
    "day",
    "document",
    "keyword_field",
    "matched",
    "stored",
]

BOX_SLOTS = 4
SIDES = ("west", "south", "east", "north")
# Hidden keyword fields (documents.ACCESS, OUTRANKED, CLUSTER_SOURCE) under field names
# tantivy accepts, next to the KEYWORD_FIELDS.
HIDDEN: dict[str, str] = {ACCESS: "h_access", OUTRANKED: "h_outranked", CLUSTER_SOURCE: "h_cluster"}
KEYWORDS: tuple[str, ...] = (*KEYWORD_FIELDS, *HIDDEN)
# Keyword fields a Sort may name, kept per record in the stored `sortkeys` (tantivy_sort.py).
SORTED_KEYWORDS = tuple(name for name in SORT_FIELDS if name in KEYWORD_FIELDS)


def keyword_field(name: str) -> str:
    """The tantivy field holding keyword field `name` (a KEYWORD_FIELDS or hidden name)."""
    return HIDDEN.get(name) or f"k_{name}"


def day(value: date) -> datetime:
    """A date as tantivy stores it (midnight UTC)."""
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("payload", stored=True)
    builder.add_bytes_field("sortkeys", stored=True)
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    builder.add_text_field("title_key", tokenizer_name="raw", fast=True, index_option="basic")
    for name in KEYWORDS:
        if name != "id":
            builder.add_text_field(
                keyword_field(name), tokenizer_name="raw", fast=True, index_option="basic"
            )
    for name in DATE_FIELDS:
        builder.add_date_field(f"d_{name}", indexed=True, fast=True)
    for side in SIDES:
        builder.add_float_field(f"env_{side}", indexed=True, fast=True)
        for slot in range(BOX_SLOTS):
            builder.add_float_field(f"b{slot}_{side}", indexed=True, fast=True)
    builder.add_unsigned_field("box_overflow", indexed=True, fast=True)
    return builder.build()


def _slots(boxes: list[BBox]) -> list[BBox]:
    """At most BOX_SLOTS boxes: the first ones, then the union of the rest."""
    if len(boxes) <= BOX_SLOTS:
        return boxes
    rest = boxes[BOX_SLOTS - 1 :]
    union = BBox(
        west=min(b.west for b in rest),
        south=min(b.south for b in rest),
        east=max(b.east for b in rest),
        north=max(b.north for b in rest),
    )
    return [*boxes[: BOX_SLOTS - 1], union]


def document(record: Record) -> tantivy.Document:
    """The tantivy document of one record (see the module docstring)."""
    doc = tantivy.Document()
    doc.add_text("id", record.id)
    doc.add_bytes("payload", json.dumps(hit_payload(record), ensure_ascii=False).encode())
    for name, text in searchable_fields(record).items():
        analysed, _ = analyse(text)
        if analysed:
            doc.add_text(name, analysed)
    title_key = " ".join(tokenise(record.title))
    doc.add_text("title_key", title_key)
    keywords = {
        **facet_values(record),
        **keyword_values(record),
        **collapse_values(record),
        ACCESS: access_values(record),
    }
    for name, values in keywords.items():
        if name == "id":
            continue
        for text in values:
            doc.add_text(keyword_field(name), text)
    dates = date_values(record)
    for name, when in dates.items():
        doc.add_date(f"d_{name}", day(when))
    sortkeys: dict[str, object] = {name: keywords.get(name, []) for name in SORTED_KEYWORDS}
    sortkeys.update({name: value.isoformat() for name, value in dates.items()})
    sortkeys["title"] = title_key
    doc.add_bytes("sortkeys", json.dumps(sortkeys, ensure_ascii=False).encode())
    if record.bboxes:
        envelope = [
            min(b.west for b in record.bboxes),
            min(b.south for b in record.bboxes),
            max(b.east for b in record.bboxes),
            max(b.north for b in record.bboxes),
        ]
        for side, edge in zip(SIDES, envelope, strict=True):
            doc.add_float(f"env_{side}", edge)
        for slot, box in enumerate(_slots(record.bboxes)):
            for side, edge in zip(SIDES, box.as_list(), strict=True):
                doc.add_float(f"b{slot}_{side}", edge)
        doc.add_unsigned("box_overflow", int(len(record.bboxes) > BOX_SLOTS))
    return doc


def stored(searcher: tantivy.Searcher, address: tantivy.DocAddress, field: str) -> bytes:
    """The stored bytes field `field` of the document at `address`."""
    value = searcher.doc(address).get_first(field)
    if value is None:
        raise ValueError(f"document without {field}")
    return bytes(value)


def matched(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    """How many documents `query` matches (no hit collected)."""
    found = searcher.search(query, limit=1, count=True)
    return int(getattr(found, "count", 0) or 0)
