"""The SearchBackend contract: one suite, run against every backend.

Tests speak only the protocol of indexer/backends/base.py (and build_backend from a URL), never
a backend's internals: every test runs on the embedded index and on a real OpenSearch node
(`index_url` params; the node comes from scripts/opensearch.sh, see tests/conftest.py).
The corpus is in tests/contract/corpus.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from indexer.backends import build_backend
from indexer.backends.base import FACETS, SearchBackend
from indexer.backends.documents import facet_values
from moisson.errors import BadQuery
from moisson.query import (
    And,
    Exists,
    FieldFilter,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Range,
    Sort,
    Spatial,
    Term,
)
from moisson.record import PUBLIC, BBox, Hit, Keyword, Query, Record, Results, ThemeExpansion
from testkit.opensearch_support import drop_alias, fresh_alias
from tests.contract.corpus import GEO, OPEN, by_key, corpus

RECORDS = by_key()


@pytest.fixture(params=["sqlite", "opensearch", "tantivy"])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index.db'}"
        return
    if request.param == "tantivy":
        yield f"tantivy:///{tmp_path / 'tantivy'}"
        return
    base = request.getfixturevalue("opensearch_url")
    alias = fresh_alias("contract")
    try:
        yield f"{base}/{alias}"
    finally:
        drop_alias(base, alias)


@pytest.fixture
def backend(index_url: str) -> Iterator[SearchBackend]:
    built = build_backend(index_url)
    built.open()
    try:
        built.index(corpus())
        yield built
    finally:
        built.close()


def search(backend: SearchBackend, **fields: object) -> Results:
    return backend.search(Query(size=100, **fields))  # type: ignore[arg-type]


def keys(results: Results) -> list[str]:
    """Original ids of the hits, in order (ids are opaque; these name corpus records)."""
    names = {r.id: key for key, r in RECORDS.items()}
    return [names[hit.id] for hit in results.hits]


def test_count_is_the_number_of_records(backend: SearchBackend) -> None:
    assert backend.count() == len(RECORDS)


def test_an_unaccented_query_finds_the_accented_title(backend: SearchBackend) -> None:
    assert "foret-broceliande" in keys(search(backend, q="foret"))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("zones humides", "zh-potentielle"),  # French plural -> 'zone humide'
        ("rivières", "vilaine"),  # French plural -> 'rivière'
        ("rivieres", "vilaine"),  # ... typed without accents
        ("wetlands", "coastal-wetland"),  # English plural -> 'wetland'
        ("forest", "amazonia"),  # English singular -> 'forests'
    ],
)
def test_inflected_forms_match(backend: SearchBackend, q: str, expected: str) -> None:
    assert expected in keys(search(backend, q=q))


def test_every_word_must_match(backend: SearchBackend) -> None:
    assert keys(search(backend, q="zones humides Loire")) == ["zh-loire-bretagne"]


def test_stopwords_are_ignored_when_other_words_remain(backend: SearchBackend) -> None:
    assert keys(search(backend, q="occupation du sol")) == ["corine"]


def test_a_title_match_ranks_above_an_abstract_only_match(backend: SearchBackend) -> None:
    assert keys(search(backend, q="camargue")) == ["camargue", "oiseaux"]


def test_hits_carry_the_record_payload(backend: SearchBackend) -> None:
    hit = search(backend, q="brocéliande").hits[0]
    record = RECORDS["foret-broceliande"]
    assert (hit.id, hit.title, hit.abstract) == (record.id, record.title, record.abstract)
    assert hit.bbox == record.bboxes[0].as_list()
    assert hit.date == record.reference_date()
    assert hit.resource_type == "dataset"
    assert [link.url for link in hit.links] == [link.url for link in record.links]
    assert [(s.id, s.original_id) for s in hit.sources] == [(GEO, "foret-broceliande")]


def test_each_facet_count_equals_the_total_when_filtering_on_it(backend: SearchBackend) -> None:
    for q in ("", "eau"):
        results = search(backend, q=q, facet_size=200)
        assert set(results.facets) == set(FACETS)
        for name, buckets in results.facets.items():
            assert buckets, name
            for bucket in buckets:
                filtered = search(backend, q=q, filters={name: [bucket.value]})
                assert filtered.total == bucket.count, (q, name, bucket)


def test_facet_values_as_given(backend: SearchBackend) -> None:
    facets = search(backend, facet_size=200).facets
    values = {name: {b.value: b.count for b in buckets} for name, buckets in facets.items()}
    assert values["source"] == {GEO: 8, OPEN: 7}
    assert values["organisation"]["ONF"] == 2
    # Within a record, keywords are deduplicated ignoring case, keeping the first spelling.
    assert (values["keyword"]["Forêt"], values["keyword"]["forêt"]) == (1, 1)
    assert "FORÊT" not in values["keyword"]
    assert values["resource_type"] == {"dataset": 13, "series": 2}
    assert values["protocol"]["OGC:WMS"] == 6
    assert values["year"]["2019"] == 2
    assert values["format"]["CSV"] == 5


def test_buckets_sort_by_count_then_value(backend: SearchBackend) -> None:
    buckets = search(backend, facet_size=200).facets["format"]
    assert [(b.value, b.count) for b in buckets] == [
        ("CSV", 5),
        ("GeoPackage", 3),
        ("GeoTIFF", 3),
        ("Shapefile", 3),
    ]


def test_facets_are_truncated_but_keep_selected_values(backend: SearchBackend) -> None:
    results = search(backend, filters={"format": ["Shapefile", "CSV"]}, facet_size=1)
    assert results.facet_info["format"].truncated
    assert [(b.value, b.count, b.selected) for b in results.facets["format"]] == [
        ("CSV", 5, True),
        ("Shapefile", 3, True),
    ]


def test_values_of_one_facet_or_and_facets_and(backend: SearchBackend) -> None:
    assert search(backend, filters={"format": ["CSV", "GeoTIFF"]}).total == 8
    both = search(backend, filters={"format": ["CSV"], "source": [GEO]})
    assert keys(both) == ["eolien"]


def test_bbox_keeps_intersecting_records_only(backend: SearchBackend) -> None:
    rennes = search(backend, bbox=BBox(west=-2.0, south=48.0, east=-1.5, north=48.2))
    found = set(keys(rennes))
    assert {"foret-broceliande", "zh-loire-bretagne", "corine"} <= found
    assert not {"amazonia", "meteo", "camargue"} & found
    brazil = search(backend, bbox=BBox(west=-60.0, south=-10.0, east=-50.0, north=0.0))
    assert keys(brazil) == ["amazonia"]


def test_date_range_uses_the_reference_date(backend: SearchBackend) -> None:
    results = search(backend, date_from=date(2019, 1, 1), date_to=date(2019, 12, 31))
    assert set(keys(results)) == {"forets-domaniales", "haies"}
    assert set(keys(search(backend, date_from=date(2022, 1, 1)))) == {"coastal-wetland", "eolien"}
    assert keys(search(backend, date_to=date(2012, 12, 31))) == ["meteo"]


def test_pages_are_disjoint_and_totals_stable(backend: SearchBackend) -> None:
    seen: list[str] = []
    for number in (1, 2, 3, 4):
        results = backend.search(Query(q="", page=number, size=4, sort="title"))
        assert results.total == len(RECORDS)
        assert results.page == number
        seen += [hit.id for hit in results.hits]
    assert sorted(seen) == sorted(r.id for r in RECORDS.values())


def test_relevance_pages_are_disjoint(backend: SearchBackend) -> None:
    first = backend.search(Query(q="eau", size=2))
    second = backend.search(Query(q="eau", page=2, size=2))
    assert first.total == second.total >= 4
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}


def test_size_zero_returns_counts_only(backend: SearchBackend) -> None:
    results = backend.search(Query(q="eau", size=0))
    assert results.hits == [] and results.total >= 4 and results.facets["source"]


def test_sort_by_title(backend: SearchBackend) -> None:
    titles = [hit.title for hit in search(backend, sort="title").hits]
    assert titles[0] == "Carte de zone humide potentielle"
    assert titles[-1] == "Zones humides du bassin Loire-Bretagne"
    assert titles.index("Forest cover of Amazonia") < titles.index("Forêt de Brocéliande")


def test_sort_by_date_is_newest_first(backend: SearchBackend) -> None:
    dates = [hit.date for hit in search(backend, q="eau", sort="date").hits]
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    assert len(dates) >= 4


def test_an_empty_query_lists_everything_newest_first(backend: SearchBackend) -> None:
    results = search(backend)
    assert results.total == len(RECORDS)
    assert keys(results)[:2] == ["eolien", "coastal-wetland"]


@pytest.mark.parametrize(
    "q", ['"', "forêt AND (", "NOT", "*", "title:", 'zones "humides', "a:b {x} ^ + , -", "NEAR("]
)
def test_search_syntax_in_a_plain_query_is_text(backend: SearchBackend, q: str) -> None:
    assert isinstance(backend.search(Query(q=q)), Results)


def test_a_plain_query_never_treats_or_as_an_operator(backend: SearchBackend) -> None:
    assert search(backend, q="camargue OR bocage").total == 0


@pytest.mark.parametrize("q", ["forêt AND (", '"zones humides', "eau OR", "nope: eau", "NOT eau"])
def test_bad_advanced_syntax_is_a_bad_query(backend: SearchBackend, q: str) -> None:
    with pytest.raises(BadQuery):
        backend.search(Query(q=q, advanced=True))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("camargue OR bocage", {"camargue", "oiseaux", "haies"}),
        ('"zones humides" NOT loire', {"zh-potentielle"}),
        ("title: camargue", {"camargue"}),
        ("{title keywords}: foret*", {"foret-broceliande", "forets-domaniales"}),
        ("eau AND (rivière OR oiseaux)", {"vilaine", "oiseaux"}),
    ],
)
def test_advanced_syntax(backend: SearchBackend, q: str, expected: set[str]) -> None:
    assert set(keys(search(backend, q=q, advanced=True))) == expected


def test_an_unknown_filter_is_a_bad_query_naming_the_valid_ones(backend: SearchBackend) -> None:
    with pytest.raises(BadQuery) as caught:
        backend.search(Query(filters={"colour": ["red"]}))
    assert "colour" in caught.value.message
    assert all(name in caught.value.message for name in FACETS)


def test_the_snippet_marks_the_match_and_escapes_html(backend: SearchBackend) -> None:
    snippet = search(backend, q="haie").hits[0].snippet
    assert snippet is not None
    assert "<mark>haies</mark>" in snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "&amp; talus" in snippet


def test_the_snippet_marks_the_original_accented_words(backend: SearchBackend) -> None:
    hits = {hit.id: hit for hit in search(backend, q="foret").hits}
    snippet = hits[RECORDS["forets-domaniales"].id].snippet
    assert snippet == (
        "Périmètres des <mark>forêts</mark> publiques gérées par l&#x27;Office national des "
        "<mark>forêts</mark>."
    )


def test_indexing_the_same_id_again_replaces_the_record(backend: SearchBackend) -> None:
    old = RECORDS["ppri"]
    new = old.model_copy(update={"title": "Atlas des zones inondables"})
    assert backend.index([new]) == 1
    assert backend.count() == len(RECORDS)
    assert keys(search(backend, q="atlas inondables")) == ["ppri"]
    assert search(backend, q="prévention").total == 0


def test_deleted_records_leave_hits_and_facets(backend: SearchBackend) -> None:
    backend.delete([RECORDS["amazonia"].id, RECORDS["meteo"].id])
    assert backend.count() == len(RECORDS) - 2
    assert search(backend, q="forest").total == 0
    facets = search(backend, facet_size=200).facets
    assert "INPE" not in {b.value for b in facets["organisation"]}
    assert {b.value: b.count for b in facets["source"]}[OPEN] == 5


def test_suggest_completes_titles_and_keywords(backend: SearchBackend) -> None:
    assert "Forêt de Brocéliande" in backend.suggest("foret de b")
    suggestions = backend.suggest("Zon")
    assert "zones humides" in suggestions
    assert "Zones humides du bassin Loire-Bretagne" in suggestions
    assert len(backend.suggest("", 5)) <= 5
    assert len(backend.suggest("f", 2)) == 2


def test_reindex_keeps_the_results(backend: SearchBackend) -> None:
    queries = [Query(q="eau"), Query(q="foret", filters={"source": [GEO]}), Query(sort="title")]
    before = [backend.search(q) for q in queries]
    assert backend.reindex(iter(corpus())) == len(RECORDS)
    assert [backend.search(q) for q in queries] == before


def test_a_failed_reindex_keeps_the_old_index(backend: SearchBackend) -> None:
    def broken() -> Iterator[Record]:
        yield from corpus()[:3]
        raise RuntimeError("store went away")

    with pytest.raises(RuntimeError):
        backend.reindex(broken())
    assert backend.count() == len(RECORDS)
    assert search(backend, q="bocage").total == 1


def test_a_second_instance_sees_what_the_first_writes(
    backend: SearchBackend, index_url: str
) -> None:
    other = build_backend(index_url)
    other.open()
    try:
        assert other.count() == len(RECORDS)
        new = Record.new(OPEN, "tourbieres", title="Tourbières du Morvan")
        backend.index([new])
        assert [h.id for h in search(other, q="tourbiere").hits] == [new.id]
        backend.delete([RECORDS["haies"].id])
        assert search(other, q="bocage").total == 0
        assert {b.value: b.count for b in search(other).facets["source"]}[GEO] == 7
        other.reindex(corpus())
        assert backend.count() == len(RECORDS)
        assert search(backend, q="bocage").total == 1
    finally:
        other.close()


def test_searches_from_several_threads_while_writing(backend: SearchBackend) -> None:
    """The API searches from a pool of threads while a harvest writes."""
    extra = [Record.new(OPEN, f"extra-{n}", title=f"Forêt communale {n}") for n in range(40)]

    def run(number: int) -> int:
        if number % 4 == 0:
            return backend.index(extra[number : number + 4])
        return backend.search(Query(q="foret", filters={"source": [GEO, OPEN]})).total

    with ThreadPoolExecutor(max_workers=4) as pool:
        totals = list(pool.map(run, range(40)))
    assert all(total >= 2 for total in totals)
    assert search(backend, q="foret communale").total == 40


# -- themes (indexer/backends/documents.py: the `theme` facet, ThemeExpansion) -----------------


def _facet(results: Results, name: str) -> dict[str, int]:
    return {bucket.value: bucket.count for bucket in results.facets[name]}


def test_the_theme_facet_counts_ancestors_as_implied(backend: SearchBackend) -> None:
    counts = _facet(search(backend, facet_size=200), "theme")
    assert counts["wetlands"] == 2  # camargue, zh-loire-bretagne
    assert counts["hydrography"] == 1  # vilaine
    assert counts["water"] == 3  # the parent counts its children's records once each
    assert counts["biodiversity"] == counts["protected-areas"] == counts["natura2000"] == 1


def test_filtering_on_a_parent_theme_includes_its_children(backend: SearchBackend) -> None:
    found = keys(search(backend, filters={"theme": ["water"]}))
    assert sorted(found) == ["camargue", "vilaine", "zh-loire-bretagne"]
    assert keys(search(backend, filters={"theme": ["wetlands"]})) != []
    assert "vilaine" not in keys(search(backend, filters={"theme": ["wetlands"]}))


def test_hits_carry_their_themes(backend: SearchBackend) -> None:
    hits = {hit.id: hit for hit in search(backend, q="camargue").hits}
    assert [theme["id"] for theme in hits[RECORDS["camargue"].id].themes] == ["wetlands"]
    assert all(hit.themes == [] for hit in search(backend, q="bocage").hits)


def test_a_theme_expansion_finds_records_filed_under_the_concept(backend: SearchBackend) -> None:
    plain = set(keys(search(backend, q="zones humides")))
    assert "camargue" not in plain  # its text is English only
    expansion = ThemeExpansion(phrase="zones humides", concepts=["wetlands"])
    expanded = set(keys(search(backend, q="zones humides", expansions=[expansion])))
    assert expanded == plain | {"camargue"}


def test_a_theme_expansion_still_needs_the_other_words(backend: SearchBackend) -> None:
    expansion = ThemeExpansion(phrase="zones humides", concepts=["water"])
    found = keys(search(backend, q="zones humides camargue", expansions=[expansion]))
    assert found == ["camargue"]  # vilaine is under 'water' but does not mention camargue


def test_a_theme_expansion_for_words_not_in_the_query_does_nothing(
    backend: SearchBackend,
) -> None:
    expansion = ThemeExpansion(phrase="wetlands", concepts=["wetlands"])
    assert keys(search(backend, q="bocage", expansions=[expansion])) == ["haies"]


# -- who sees what (Query.roles, Record.access; see indexer/access.py) ---------------------------

ROLE_A, ROLE_B = "ROLE_AGENCY_A", "ROLE_AGENCY_B"
CALLERS: dict[str, list[str] | None] = {
    "anonymous": [],
    "role A": [ROLE_A],
    "role B": [ROLE_B],
    "roles A and B": [ROLE_A, ROLE_B],
    "admin": None,
}


def _restricted() -> list[Record]:
    """Copies of corpus records under restricted sources, plus their own distinctive words
    (for text and suggestions): A's, B's, shared A+B, and admins-only."""
    made = []
    for source, access, word, picks in [
        ("agency-a", [ROLE_A], "Prospection minière", ["haies", "camargue"]),
        ("agency-b", [ROLE_B], "Prospection pétrolière", ["vilaine"]),
        ("shared", [ROLE_A, ROLE_B], "Prospection commune", ["haies"]),
        ("vault", [], "Prospection secrète", ["camargue"]),
    ]:
        for key in picks:
            base = RECORDS[key]
            made.append(
                Record.new(
                    source,
                    key,
                    title=f"{word} {base.title}",
                    abstract=base.abstract,
                    keywords=[*base.keywords, Keyword(label=word)],
                    contacts=base.contacts,
                    bboxes=base.bboxes,
                    revised=base.revised,
                    published=base.published,
                    formats=base.formats,
                    links=base.links,
                    themes=base.themes,
                    access=access,
                )
            )
    return made


def _visible(records: list[Record], roles: list[str] | None) -> list[Record]:
    if roles is None:
        return records
    return [r for r in records if PUBLIC in r.access or set(r.access) & set(roles)]


@pytest.fixture
def guarded(backend: SearchBackend) -> list[Record]:
    extra = _restricted()
    backend.index(extra)
    return [*corpus(), *extra]


@pytest.mark.parametrize("caller", CALLERS)
def test_hits_total_and_every_facet_count_cover_only_visible_records(
    backend: SearchBackend, guarded: list[Record], caller: str
) -> None:
    roles = CALLERS[caller]
    expected = _visible(guarded, roles)
    found = backend.search(Query(size=100, facet_size=200, roles=roles))
    assert found.total == len(expected)
    assert {hit.id for hit in found.hits} == {r.id for r in expected}
    for name in FACETS:
        counts = Counter(v for r in expected for v in facet_values(r).get(name, []))
        assert {b.value: b.count for b in found.facets[name]} == dict(counts), name


@pytest.mark.parametrize("caller", CALLERS)
def test_text_queries_and_filters_stay_inside_what_the_caller_may_see(
    backend: SearchBackend, guarded: list[Record], caller: str
) -> None:
    roles = CALLERS[caller]
    allowed = {r.id for r in _visible(guarded, roles)}
    everything = backend.search(Query(q="prospection", size=100, roles=None))
    found = backend.search(Query(q="prospection", size=100, roles=roles))
    assert {h.id for h in found.hits} == {h.id for h in everything.hits} & allowed
    assert found.total == len(found.hits)
    by_source = backend.search(Query(filters={"source": ["vault"]}, size=100, roles=roles))
    assert by_source.total == (1 if roles is None else 0)  # one vault record, admins only


@pytest.mark.parametrize("caller", CALLERS)
def test_pages_partition_exactly_the_visible_records(
    backend: SearchBackend, guarded: list[Record], caller: str
) -> None:
    roles = CALLERS[caller]
    expected = {r.id for r in _visible(guarded, roles)}
    seen: list[str] = []
    for page in range(1, len(expected) // 3 + 2):
        results = backend.search(Query(page=page, size=3, sort="title", roles=roles))
        assert results.total == len(expected)
        seen += [hit.id for hit in results.hits]
    assert sorted(seen) == sorted(expected)  # disjoint pages, nothing hidden, nothing extra


@pytest.mark.parametrize("caller", CALLERS)
def test_suggestions_come_only_from_visible_records(
    backend: SearchBackend, guarded: list[Record], caller: str
) -> None:
    roles = CALLERS[caller]
    suggested = set(backend.suggest("prospection", size=50, roles=roles))
    words = {w for r in _visible(guarded, roles) for w in (k.label for k in r.keywords)} | {
        r.title for r in _visible(guarded, roles)
    }
    hidden = {w for r in guarded for w in [r.title, *(k.label for k in r.keywords)]} - words
    assert suggested <= words
    assert not suggested & hidden
    if roles == [ROLE_A]:
        assert "Prospection minière" in suggested
        assert "Prospection pétrolière" not in suggested


def test_an_anonymous_query_is_the_default(backend: SearchBackend, guarded: list[Record]) -> None:
    assert backend.search(Query(size=100)).total == len(_visible(guarded, []))
    assert backend.suggest("prospection") == []


# -- the neutral query tree (moisson/query.py): what protocols translate into -----------------


def tree(backend: SearchBackend, node: Node, **fields: object) -> set[str]:
    """Original ids of the records matching `node` (as Query.where)."""
    return set(keys(search(backend, where=node, **fields)))


def test_text_leaves_match_as_the_plain_parser_does(backend: SearchBackend) -> None:
    assert tree(backend, Term(text="rivières")) == set(keys(search(backend, q="rivières")))
    assert tree(backend, Phrase(text="zones humides", fields=("title",))) == {
        "zh-loire-bretagne",
        "zh-potentielle",  # 'zone humide': the same stems, in order
    }
    assert tree(backend, Phrase(text="humides zones")) == set()  # order matters
    assert tree(backend, Prefix(text="éol")) == {"eolien"}
    assert tree(backend, Prefix(text="zones hum", fields=("title",))) == {
        "zh-loire-bretagne",
        "zh-potentielle",
    }


def test_near_matches_phrases_within_a_distance(backend: SearchBackend, index_url: str) -> None:
    near = Near(phrases=("zones humides", "bassin"), distance=3)
    if index_url.startswith("tantivy:"):  # no unordered proximity of phrases: refused
        with pytest.raises(BadQuery, match="NEAR"):
            tree(backend, near)
        return
    assert tree(backend, near) == {"zh-loire-bretagne"}


def test_a_text_tree_replaces_q_and_ranks_hits(backend: SearchBackend) -> None:
    results = search(backend, q="ignored", text=Term(text="camargue"))
    assert keys(results) == ["camargue", "oiseaux"]  # a title match first, as with q
    assert all(hit.score is not None and hit.snippet for hit in results.hits)


def test_boolean_nodes_combine_text_and_conditions(backend: SearchBackend) -> None:
    either = Or(children=(Term(text="forêt"), Term(text="camargue")))
    assert tree(backend, either) == {
        "foret-broceliande",
        "forets-domaniales",
        "camargue",
        "oiseaux",
    }
    not_open = And(children=(either, Not(child=FieldFilter(field="source", values=(OPEN,)))))
    assert tree(backend, not_open) == {"foret-broceliande", "forets-domaniales"}
    alone = Not(child=FieldFilter(field="resource_type", values=("dataset",)))
    assert tree(backend, alone) == {"meteo", "ppri"}


@pytest.mark.parametrize(
    ("field", "values", "expected"),
    [
        ("id", [RECORDS["haies"].id], {"haies"}),
        ("original_id", ["meteo", "ppri"], {"meteo", "ppri"}),
        ("identifier", ["FR-ONF-0042"], {"forets-domaniales"}),
        ("identifier", ["fr-onf-0042"], set()),  # exact, as given
        ("doi", ["10.5281/zenodo.12345"], {"camargue"}),  # from https://doi.org/...ZENODO
        ("doi", ["10.2909/71c95a07-e296-44fc-b22b-415f42acfdf0"], {"corine"}),
        ("language", ["eng"], {"camargue", "coastal-wetland", "amazonia"}),
        ("topic_category", ["inlandWaters"], {"vilaine"}),
        ("organisation", ["OFB"], {"zh-loire-bretagne", "oiseaux"}),
    ],
)
def test_field_filters_on_every_keyword_field(
    backend: SearchBackend, field: str, values: list[str], expected: set[str]
) -> None:
    node = FieldFilter(field=field, values=tuple(values))  # type: ignore[arg-type]
    assert tree(backend, node) == expected
    assert set(keys(search(backend, filters={field: values}))) == expected


def test_prefix_field_filters(backend: SearchBackend) -> None:
    prefix = FieldFilter(field="original_id", values=("zh-", "forets"), prefix=True)
    assert tree(backend, prefix) == {"zh-loire-bretagne", "zh-potentielle", "forets-domaniales"}
    assert tree(backend, FieldFilter(field="identifier", values=("EEA-",), prefix=True)) == {
        "corine"
    }


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (Range(field="created", lte=date(2010, 1, 1)), {"vilaine"}),
        (Range(field="created"), {"zh-potentielle", "vilaine"}),  # open: has the date
        (
            Range(field="modified", gte=date(2021, 1, 1)),
            {"foret-broceliande", "vilaine", "eolien"},
        ),
        (
            Range(field="revised", gte=date(2021, 1, 1)),
            {"foret-broceliande", "vilaine", "eolien"},
        ),
        (
            Range(field="published", gte=date(2019, 1, 1), lte=date(2020, 12, 31)),
            {"forets-domaniales", "natura2000", "haies"},
        ),
        (Range(field="metadata", gte=date(2024, 1, 1)), {"forets-domaniales"}),
        (Range(field="begin", lte=date(1990, 1, 1)), {"meteo"}),
        (Range(field="end", gte=date(2010, 1, 1)), {"amazonia"}),
        (Range(field="date", gte=date(2022, 1, 1)), {"coastal-wetland", "eolien"}),
    ],
)
def test_ranges_on_every_date(backend: SearchBackend, node: Range, expected: set[str]) -> None:
    assert tree(backend, node) == expected
    assert set(keys(search(backend, ranges=[node]))) == expected


def test_exists_and_its_negation(backend: SearchBackend) -> None:
    assert tree(backend, Exists(field="doi")) == {"camargue", "corine"}
    assert tree(backend, Exists(field="begin")) == {"meteo", "amazonia"}
    without = tree(backend, Not(child=Exists(field="language")))
    assert without == set(RECORDS) - {"camargue", "coastal-wetland", "amazonia"}


def test_within_keeps_records_whose_every_box_is_inside(backend: SearchBackend) -> None:
    brittany = BBox(west=-6.0, south=47.0, east=0.0, north=49.5)
    inside = tree(backend, Spatial(bbox=brittany, relation="within"))
    assert inside == {
        "foret-broceliande",
        "forets-domaniales",
        "eolien",
        "vilaine",
        "ppri",
        "haies",
    }
    touching = tree(backend, Spatial(bbox=brittany))
    assert inside < touching and {"corine", "natura2000"} <= touching


def test_sort_by_a_date_puts_missing_values_last(backend: SearchBackend) -> None:
    published = [r for r in RECORDS.values() if r.published]
    newest = sorted(published, key=lambda r: r.published or date.min, reverse=True)
    for direction, expected in (("desc", newest), ("asc", newest[::-1])):
        order = keys(search(backend, sort_by=[Sort(field="published", direction=direction)]))
        assert order[: len(published)] == [r.provenance.original_id for r in expected]
        assert set(order[len(published) :]) == set(RECORDS) - {
            r.provenance.original_id for r in published
        }


def test_sort_by_title_descending(backend: SearchBackend) -> None:
    titles = [
        h.title for h in search(backend, sort_by=[Sort(field="title", direction="desc")]).hits
    ]
    assert titles[0] == "Zones humides du bassin Loire-Bretagne"
    assert titles[-1] == "Carte de zone humide potentielle"


def test_sort_by_a_keyword_field_then_a_date(backend: SearchBackend) -> None:
    ordering = [Sort(field="resource_type", direction="desc"), Sort(field="created")]
    order = keys(search(backend, sort_by=ordering))
    assert order[:2] == ["meteo", "ppri"] or order[:2] == ["ppri", "meteo"]  # series first
    assert order[2:4] == ["vilaine", "zh-potentielle"]  # then datasets by creation date
    by_org = search(backend, sort_by=[Sort(field="organisation")]).hits
    smallest = [min(c.organisation or "" for c in RECORDS[k].contacts) for k in keys_of(by_org)]
    assert smallest == sorted(smallest)


def keys_of(hits: list[Hit]) -> list[str]:
    names = {r.id: key for key, r in RECORDS.items()}
    return [names[hit.id] for hit in hits]


def test_start_pages_from_any_position(backend: SearchBackend) -> None:
    everything = keys(search(backend, sort="title"))
    window = backend.search(Query(sort="title", start=5, size=4))
    assert keys(window) == everything[5:9]
    assert window.start == 5 and window.total == len(RECORDS)


def test_a_leaf_without_words_is_a_bad_query(backend: SearchBackend) -> None:
    with pytest.raises(BadQuery, match="nothing to search for"):
        search(backend, where=Term(text="!!!"))


def test_unknown_sort_or_filter_fields_are_refused_by_the_model() -> None:
    with pytest.raises(BadQuery, match="unknown filter"):
        Query(filters={"colour": ["red"]})


def test_a_query_too_long_for_the_engines_is_a_bad_query_on_both(backend: SearchBackend) -> None:
    words = " ".join(f"mot{n}" for n in range(320))  # 320 words x 3 fields > MAX_CLAUSES
    with pytest.raises(BadQuery, match="too many words"):
        search(backend, q=words)
    with pytest.raises(BadQuery, match="too many words"):
        search(backend, q=" OR ".join(words.split()), advanced=True)
    assert search(backend, q=" ".join(words.split()[:250])).total == 0  # 750 clauses: runs


def test_facets_can_count_any_keyword_field_or_none(backend: SearchBackend) -> None:
    results = search(backend, facets=["language", "topic_category", "doi"])
    assert list(results.facets) == ["language", "topic_category", "doi"]
    counts = {name: {b.value: b.count for b in found} for name, found in results.facets.items()}
    assert counts == {
        "language": {"eng": 3},
        "topic_category": {"inlandWaters": 1},
        "doi": {"10.5281/zenodo.12345": 1, "10.2909/71c95a07-e296-44fc-b22b-415f42acfdf0": 1},
    }
    filtered = search(backend, facets=["language"], filters={"source": [OPEN]}, q="wetland")
    assert {b.value: b.count for b in filtered.facets["language"]} == {"eng": 2}
    assert search(backend, facets=[]).facets == {}
    with pytest.raises(BadQuery, match="unknown facet"):
        search(backend, facets=["colour"])
