"""The two backends side by side on the same records: for each query, the same total, the
same hits (in the same order wherever the order is defined by data rather than by scores),
the same facets and the same snippets. Complements the contract suite, which states the
behaviour; this catches any drift it does not spell out (themes and thesaurus expansion
included)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from moisson.errors import BadQuery
from moisson.query import And, Exists, Not, Or, Phrase, Prefix, Range, Sort, Spatial, Term
from moisson.record import BBox, Query, Record, Results, Theme, ThemeExpansion
from testkit.opensearch_support import drop_alias, fresh_alias
from tests.contract.corpus import GEO, corpus

WATER = Theme(id="water", uri="https://example.org/themes/water", labels={"fr": "Eau"})
WETLANDS = Theme(
    id="wetlands",
    uri="https://example.org/themes/wetlands",
    labels={"fr": "Zones humides", "en": "Wetlands"},
    broader=["water"],
)
FOREST = Theme(id="forest", uri="https://example.org/themes/forest", labels={"fr": "Forêt"})


def themed() -> list[Record]:
    """The contract corpus with themes on some records (as indexer/themes.py would file
    them), plus one record only the thesaurus links to 'zones humides'."""
    filed = {"camargue": [WETLANDS], "coastal-wetland": [WETLANDS], "vilaine": [WATER]}
    filed |= {"foret-broceliande": [FOREST], "forets-domaniales": [FOREST]}
    records = [
        r.model_copy(update={"themes": filed.get(r.provenance.original_id, [])}) for r in corpus()
    ]
    marsh = Record.new(GEO, "marais", title="Marais de Brière", themes=[WETLANDS])
    return [*records, marsh]


@pytest.fixture(scope="module", params=["opensearch", "tantivy"])
def backends(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SearchBackend, SearchBackend]]:
    """The embedded index and one other backend, holding the same records."""
    folder: Path = tmp_path_factory.mktemp("parity")
    base, alias = "", ""
    if request.param == "tantivy":
        other_url = f"tantivy:///{folder / 'tantivy'}"
    else:
        base = request.getfixturevalue("opensearch_url")
        alias = fresh_alias("parity")
        other_url = f"{base}/{alias}"
    embedded = build_backend(f"sqlite:///{folder / 'index.db'}")
    scaled = build_backend(other_url)
    try:
        for backend in (embedded, scaled):
            backend.open()
            backend.index(themed())
        yield embedded, scaled
    finally:
        embedded.close()
        scaled.close()
        if alias:
            drop_alias(base, alias)


WETLAND_WORDS = ThemeExpansion(phrase="zones humides", concepts=["wetlands"])
QUERIES = [
    Query(),
    Query(q="eau"),
    Query(q="zones humides", expansions=[WETLAND_WORDS]),
    Query(q="zones humides loire", expansions=[WETLAND_WORDS]),
    Query(q="Zones Humides", sort="title", expansions=[WETLAND_WORDS]),
    Query(filters={"theme": ["water"]}),
    Query(filters={"theme": ["forest"], "source": [GEO]}, sort="title"),
    Query(q="foret", filters={"format": ["Shapefile", "CSV"]}, facet_size=1),
    Query(q="forêt", bbox=BBox(west=-2.0, south=48.0, east=-1.5, north=48.2)),
    Query(date_from=date(2015, 1, 1), date_to=date(2020, 12, 31), sort="title"),
    Query(q="title: camargue OR bocage", advanced=True, sort="date"),
    Query(q='NEAR("zones humides" bassin, 3)', advanced=True),
    Query(q="{title keywords}: foret*", advanced=True, sort="title"),
    Query(q="eau", sort="date", page=2, size=3),
    Query(q="the"),
    # The neutral tree (moisson/query.py), as protocols build it.
    Query(where=Or(children=(Term(text="forêt"), Phrase(text="zones humides"))), sort="title"),
    Query(text=Prefix(text="zones hum", fields=("title",)), size=100),
    Query(
        where=And(children=(Exists(field="published"), Not(child=Term(text="eau")))),
        sort_by=[Sort(field="published", direction="desc")],
    ),
    Query(where=Spatial(bbox=BBox(west=-6.0, south=47.0, east=0.0, north=49.5), relation="within")),
    Query(ranges=[Range(field="modified", gte=date(2020, 1, 1))], sort="title", start=1, size=2),
    Query(filters={"doi": ["10.5281/zenodo.12345"], "language": ["eng"]}),
    Query(facets=["language", "topic_category", "doi", "identifier"], sort="title"),
    Query(sort_by=[Sort(field="id", direction="desc")]),
    Query(sort_by=[Sort(field="source", direction="desc"), Sort(field="title")]),
    Query(
        where=Or(children=(Exists(field="begin"), Range(field="created", lte=date(2010, 1, 1)))),
        sort_by=[Sort(field="begin")],
    ),
]


def comparable(results: Results, ordered: bool) -> dict[str, object]:
    hits = [(h.id, h.snippet, h.themes) for h in results.hits]
    return {
        "total": results.total,
        "hits": hits if ordered else sorted(hits, key=repr),
        "facets": results.facets,
        "facet_info": results.facet_info,
    }


@pytest.mark.parametrize(
    "query", QUERIES, ids=[f"{n}:{q.q or q.filters}" for n, q in enumerate(QUERIES)]
)
def test_both_backends_answer_alike(
    request: pytest.FixtureRequest, backends: tuple[SearchBackend, SearchBackend], query: Query
) -> None:
    embedded, scaled = backends
    if "NEAR(" in query.q and request.node.callspec.params["backends"] == "tantivy":
        with pytest.raises(BadQuery, match="NEAR"):  # refused, never answered otherwise
            scaled.search(query)
        return
    ranked = query.q or query.text or query.where
    if query.ordering()[0].field == "relevance" and ranked:  # scores differ: compare as sets
        query = query.model_copy(update={"size": 100})
        ordered = False
    else:
        ordered = True
    assert comparable(scaled.search(query), ordered) == comparable(embedded.search(query), ordered)


def test_both_backends_suggest_alike(backends: tuple[SearchBackend, SearchBackend]) -> None:
    embedded, scaled = backends
    for prefix in ("f", "zon", "foret de b", "Marais", "é", "occupation d"):
        assert scaled.suggest(prefix) == embedded.suggest(prefix), prefix


def test_the_theme_facet_counts_ancestors(backends: tuple[SearchBackend, SearchBackend]) -> None:
    for backend in backends:
        counts = {b.value: b.count for b in backend.search(Query()).facets["theme"]}
        assert counts == {"water": 4, "wetlands": 3, "forest": 2}
