"""FacetInfo.timed_out: the embedded index stops counting facets past its time budget and
says so, and the page still answers (OpenSearch sets it when the cluster's search timeout
cut a search short, which a shared test node cannot be made to do on demand)."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.backends import build_backend
from indexer.backends.base import FACETS
from moisson.errors import ConfigError
from moisson.record import Query
from tests.contract.corpus import corpus


def search(url: str, query: Query) -> tuple[int, dict[str, bool], dict[str, int]]:
    backend = build_backend(url)
    backend.open()
    try:
        backend.index(corpus())
        results = backend.search(query)
    finally:
        backend.close()
    timed_out = {name: info.timed_out for name, info in results.facet_info.items()}
    return results.total, timed_out, {name: len(b) for name, b in results.facets.items()}


def test_facets_past_the_budget_are_timed_out_and_the_hits_stay(tmp_path: Path) -> None:
    query = Query(q="eau", filters={"format": ["CSV"]})
    total, timed_out, buckets = search(f"sqlite:///{tmp_path / 'a.db'}", query)
    assert timed_out == dict.fromkeys(FACETS, False) and all(buckets.values())
    cut_total, cut, cut_buckets = search(f"sqlite:///{tmp_path / 'b.db'}?facet_budget_ms=0", query)
    assert cut_total == total
    assert cut == dict.fromkeys(FACETS, True)
    assert cut_buckets == dict.fromkeys(FACETS, 0)


def test_a_bad_budget_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="facet_budget_ms"):
        build_backend(f"sqlite:///{tmp_path / 'a.db'}?facet_budget_ms=soon")
