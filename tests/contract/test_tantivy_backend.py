"""What only the tantivy backend needs proving (the shared contract is in
test_search_backend.py): facet counts stay exact when the index has many segments and
values tie at the cut, records with more boxes than the index has slots, the URL, and a
reindex swapping generations under a second instance."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from indexer.backends import build_backend
from indexer.backends.tantivy_index import TantivyBackend
from indexer.backends.tantivy_schema import BOX_SLOTS
from moisson.errors import ConfigError
from moisson.record import BBox, Keyword, Query, Record


def _record(number: int, keywords: list[str], boxes: list[BBox] | None = None) -> Record:
    return Record.new(
        "geo",
        f"r{number}",
        title=f"Record {number}",
        keywords=[Keyword(label=k) for k in keywords],
        bboxes=boxes or [],
    )


@pytest.fixture
def backend(tmp_path: Path) -> TantivyBackend:
    opened = TantivyBackend(tmp_path / "index")
    opened.open()
    return opened


def test_facet_counts_are_exact_over_many_segments_and_ties(backend: TantivyBackend) -> None:
    # 12 commits (12 segments); each segment sees a different mix, so a per-segment top
    # list would miss values that are frequent overall; many values tie on their count.
    records = []
    for number in range(240):
        words = [f"w{number % 37:02d}", f"v{(number * 7) % 11:02d}"]
        if number % 12 < 3:
            words.append("rare-in-most-segments")
        records.append(_record(number, words))
    for start in range(0, len(records), 20):
        backend.index(records[start : start + 20])
    expected = Counter(k.label for r in records for k in r.keywords)
    for size in (1, 3, 5, 10, 40):
        buckets = backend.search(Query(facet_size=size, size=0)).facets["keyword"]
        ranked = sorted(expected.items(), key=lambda item: (-item[1], item[0]))[:size]
        assert [(b.value, b.count) for b in buckets] == ranked, size


def test_selected_values_outside_the_top_are_counted(backend: TantivyBackend) -> None:
    backend.index([_record(n, ["common"] + (["seldom"] if n == 0 else [])) for n in range(5)])
    results = backend.search(Query(facet_size=1, filters={"keyword": ["common", "seldom"]}))
    counts = {b.value: (b.count, b.selected) for b in results.facets["keyword"]}
    assert counts == {"common": (5, True), "seldom": (1, True)}
    assert results.facet_info["keyword"].truncated


def test_records_with_more_boxes_than_slots_are_found_by_each_box(
    backend: TantivyBackend,
) -> None:
    boxes = [BBox(west=10.0 * i, south=0.0, east=10.0 * i + 1, north=1.0) for i in range(6)]
    assert len(boxes) > BOX_SLOTS
    backend.index([_record(1, ["x"], boxes)])
    for box in boxes:
        inside = BBox(west=box.west + 0.2, south=0.2, east=box.west + 0.8, north=0.8)
        assert backend.search(Query(bbox=inside)).total == 1
    assert backend.search(Query(bbox=BBox(west=0, south=5, east=60, north=6))).total == 0


def test_a_reindex_is_seen_by_a_second_instance(tmp_path: Path) -> None:
    first, second = TantivyBackend(tmp_path / "i"), TantivyBackend(tmp_path / "i")
    first.open()
    second.open()
    first.index([_record(1, ["a"])])
    assert second.count() == 1
    first.reindex([_record(2, ["b"]), _record(3, ["c"])])
    assert second.count() == 2
    second.index([_record(4, ["d"])])
    assert first.count() == 3
    assert {h.title for h in first.search(Query(roles=None)).hits} == {
        "Record 2",
        "Record 3",
        "Record 4",
    }


def test_a_failed_reindex_leaves_no_generation_behind(backend: TantivyBackend) -> None:
    backend.index([_record(1, ["a"])])
    before = sorted(p.name for p in backend.path.iterdir())

    def failing() -> list[Record]:
        raise RuntimeError("source broke")

    with pytest.raises(RuntimeError):
        backend.reindex(_record(n, ["a"]) if n < 3 else failing() for n in range(5))  # type: ignore[misc]
    assert sorted(p.name for p in backend.path.iterdir()) == before
    assert backend.count() == 1


@pytest.mark.parametrize("url", ["tantivy:///", "tantivy://relative", "tantivy:///x?cache_mb=1"])
def test_a_bad_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="tantivy:///path"):
        build_backend(url)
