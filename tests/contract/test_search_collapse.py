"""The SearchBackend contract for duplicate collapse, on both backends (the `index_url`
parametrisation of test_search_backend.py: the embedded index and a real OpenSearch node).

Records carry their cluster role as indexer/collapse.py stamps it (`Record.collapse`); here
the stamps are written out by hand so the contract does not depend on the clustering. The
cluster: the corpus' 'Forêt de Brocéliande' (canonical) and its republished copy in the
second source, with another id, recased title and an extra keyword.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from indexer.backends import build_backend
from indexer.backends.base import FACETS, SearchBackend
from moisson.record import (
    PUBLIC,
    ClusterMember,
    Collapse,
    Keyword,
    Provenance,
    Query,
    Record,
    Results,
    record_id,
)
from tests.contract.corpus import GEO, OPEN, by_key, corpus
from tests.contract.test_search_backend import index_url

__all__ = ["index_url"]  # the fixture, shared with the main contract suite

AGENTS = "ROLE_AGENTS"
ORIGINAL = by_key()["foret-broceliande"]


def _copy() -> Record:
    return ORIGINAL.model_copy(
        update={
            "id": record_id(OPEN, "copy-broceliande"),
            "provenance": Provenance(source_id=OPEN, original_id="copy-broceliande"),
            "title": ORIGINAL.title.upper(),
            "keywords": [*ORIGINAL.keywords, Keyword(label="republié")],
        }
    )


COPY = _copy()


def clustered(canonical_access: list[str]) -> list[Record]:
    """The corpus with the copy added, both stamped as one cluster; the canonical's source
    may be restricted to `canonical_access`."""
    canonical = ORIGINAL.model_copy(update={"access": canonical_access})
    members = [
        ClusterMember(id=GEO, original_id="foret-broceliande", access=canonical_access),
        ClusterMember(id=OPEN, original_id="copy-broceliande", access=[PUBLIC]),
    ]
    rest = [r for r in corpus() if r.id != ORIGINAL.id]
    return [
        *rest,
        canonical.model_copy(update={"collapse": Collapse(canonical=True, members=members)}),
        COPY.model_copy(
            update={
                "collapse": Collapse(
                    canonical=False, members=members, outranked_by=canonical_access
                )
            }
        ),
    ]


def open_backend(url: str, records: list[Record]) -> Iterator[SearchBackend]:
    built = build_backend(url)
    built.open()
    try:
        built.index(records)
        yield built
    finally:
        built.close()


@pytest.fixture
def backend(index_url: str) -> Iterator[SearchBackend]:
    yield from open_backend(index_url, clustered([PUBLIC]))


@pytest.fixture
def guarded(index_url: str) -> Iterator[SearchBackend]:
    """The canonical copy's source is restricted to AGENTS; the copy is public."""
    yield from open_backend(index_url, clustered([AGENTS]))


def search(backend: SearchBackend, **fields: object) -> Results:
    return backend.search(Query(**{"size": 100, **fields}))  # type: ignore[arg-type]


def sources(results: Results) -> list[list[tuple[str, str]]]:
    return [[(s.id, s.original_id) for s in hit.sources] for hit in results.hits]


def facet(results: Results, name: str) -> dict[str, int]:
    return {b.value: b.count for b in results.facets[name]}


BOTH = [(GEO, "foret-broceliande"), (OPEN, "copy-broceliande")]


def test_a_cluster_is_one_hit_listing_every_copy(backend: SearchBackend) -> None:
    results = search(backend, q="brocéliande")
    assert (results.total, [h.id for h in results.hits]) == (1, [ORIGINAL.id])
    assert sources(results) == [BOTH]


def test_without_collapse_every_copy_is_a_hit_of_its_own(backend: SearchBackend) -> None:
    results = search(backend, q="brocéliande", collapse=False, sort="title")
    assert results.total == 2
    assert {h.id: s for h, s in zip(results.hits, sources(results), strict=True)} == {
        ORIGINAL.id: [BOTH[0]],
        COPY.id: [BOTH[1]],
    }


def test_totals_count_clusters(backend: SearchBackend) -> None:
    assert search(backend, size=0).total == len(corpus())
    assert search(backend, size=0, collapse=False).total == len(corpus()) + 1
    assert backend.count() == len(corpus()) + 1  # every copy stays in the index


def test_facets_count_a_cluster_once(backend: SearchBackend) -> None:
    collapsed = search(backend, facet_size=200)
    every = search(backend, facet_size=200, collapse=False)
    assert facet(collapsed, "keyword")["forêt"] == facet(every, "keyword")["forêt"] - 1
    assert facet(collapsed, "organisation")["ONF"] == facet(every, "organisation")["ONF"] - 1
    # only the copy has it, and the copy is not what a collapsed search shows
    assert "republié" not in facet(collapsed, "keyword")
    assert facet(every, "keyword")["republié"] == 1


def test_a_cluster_counts_once_in_each_of_its_sources(backend: SearchBackend) -> None:
    in_corpus = {s: sum(r.provenance.source_id == s for r in corpus()) for s in (GEO, OPEN)}
    counts = facet(search(backend, facet_size=200), "source")
    assert counts == {GEO: in_corpus[GEO], OPEN: in_corpus[OPEN] + 1}
    found = search(backend, q="brocéliande", filters={"source": [OPEN]})
    assert [h.id for h in found.hits] == [ORIGINAL.id]  # the cluster, shown by its canonical


@pytest.mark.parametrize("collapse", [True, False])
def test_each_facet_count_equals_the_total_when_filtering_on_it(
    backend: SearchBackend, collapse: bool
) -> None:
    for q in ("", "forêt"):
        results = search(backend, q=q, facet_size=200, collapse=collapse)
        assert set(results.facets) == set(FACETS)
        for name, buckets in results.facets.items():
            for bucket in buckets:
                filtered = search(
                    backend, q=q, filters={name: [bucket.value]}, collapse=collapse, size=0
                )
                assert filtered.total == bucket.count, (q, name, bucket, collapse)


def test_pages_of_a_collapsed_search_cover_each_cluster_once(backend: SearchBackend) -> None:
    seen: list[str] = []
    for page in range(1, 6):
        seen += [h.id for h in backend.search(Query(page=page, size=3, sort="title")).hits]
    assert len(seen) == len(set(seen)) == len(corpus())
    assert COPY.id not in seen


def test_a_caller_who_may_not_see_the_canonical_gets_the_visible_copy(
    guarded: SearchBackend,
) -> None:
    results = search(guarded, q="brocéliande")  # anonymous
    assert [h.id for h in results.hits] == [COPY.id]
    assert sources(results) == [[BOTH[1]]]  # the hidden copy is not even named
    counts = facet(search(guarded, facet_size=200), "source")
    assert counts[GEO] == sum(r.provenance.source_id == GEO for r in corpus()) - 1


@pytest.mark.parametrize("roles", [[AGENTS], None], ids=["agent", "admin"])
def test_a_caller_who_may_see_the_canonical_gets_it_with_every_copy(
    guarded: SearchBackend, roles: list[str] | None
) -> None:
    results = search(guarded, q="brocéliande", roles=roles)
    assert [h.id for h in results.hits] == [ORIGINAL.id]
    assert sources(results) == [BOTH]
    assert search(guarded, q="brocéliande", roles=roles, collapse=False).total == 2
