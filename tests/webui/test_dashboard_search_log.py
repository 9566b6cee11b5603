"""The search log keeps what people searched for and never who: normalisation, batching,
retention, and a search by a named user with an e-mail in the box leaving nothing personal
in the table (read back raw, every column)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from indexer.backends import build_backend
from indexer.search_log import SearchLog, filters_used, normalise_text
from indexer.store import Store
from indexer.store.search_log import LoggedSearch
from moisson.config import Settings
from moisson.query import FieldFilter, Query, Spatial, Term
from moisson.record import BBox
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.api.conftest import load_catalogue

GATEWAY = "10.0.0.5"
DAY = date(2026, 11, 20)


def test_text_is_lowercased_and_folded() -> None:
    assert normalise_text("  Zones   HUMIDES\tBretagne ") == "zones humides bretagne"


@pytest.mark.parametrize(
    "personal",
    [
        "jean.dupont@example.org",
        "<jean.dupont@example.org>",
        "mailto:someone",
        "mst_q8ZkT3vW9xYbL2mN5pR7sA1c",  # a Moisson API token
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",  # a JWT
        "3f9a1c0e8b7d6a5f4e3d2c1b0a9f8e7d",  # 32 hex digits
        "QWxhZGRpbjpvcGVuc2VzYW1lMTIzNDU2Nzg5",  # base64
        "https://user:secret@geo.example.org/wms",
        "https://geo.example.org/wms?token=abc",
    ],
)
def test_personal_words_are_dropped(personal: str) -> None:
    assert normalise_text(f"eau {personal} Rhône") == "eau rhône"


@pytest.mark.parametrize(
    "kept",
    ["EPTB-VIL-ZH-2022", "fr-120066022-jdd-0f2b", "bd topo 2023", "l'eau", "c'est-à-dire"],
)
def test_search_words_and_dataset_codes_are_kept(kept: str) -> None:
    assert normalise_text(kept) == kept.lower()


def test_text_is_cut_to_the_column() -> None:
    assert len(normalise_text("eau " * 100)) <= 200


def test_filters_name_fields_values_boxes_and_dates() -> None:
    query = Query(
        q="eau",
        filters={"theme": ["water", "Hydro"], "source": ["geo"]},
        bbox=BBox(west=0, south=40, east=5, north=45),
        date_from=date(2020, 1, 1),
        where=FieldFilter(field="keyword", values=("zones humides",)),
    )
    assert filters_used(query) == ("bbox;date;keyword=zones humides;source=geo;theme=hydro|water")


def test_record_lookups_are_no_filter() -> None:
    query = Query(where=FieldFilter(field="id", values=("abc",)))
    assert filters_used(query) == ""


def test_counts_are_batched_per_day_text_and_filters(store: Store) -> None:
    log = SearchLog(store, today=lambda: DAY)
    log.record(Query(q="Eau"), total=4)
    log.record(Query(q=" eau "), total=2)
    log.record(Query(q="eau", filters={"source": ["geo"]}), total=0)
    assert store.search_log_rows() == []  # nothing written until the flush
    assert log.flush() == 2
    assert store.search_log_rows() == [
        {"day": DAY, "query": "eau", "filters": "", "searches": 2, "no_result": 0, "hits": 6},
        {
            "day": DAY,
            "query": "eau",
            "filters": "source=geo",
            "searches": 1,
            "no_result": 1,
            "hits": 0,
        },
    ]


def test_only_first_pages_of_real_searches_count(store: Store) -> None:
    log = SearchLog(store, today=lambda: DAY)
    log.record(Query(q="eau", page=2), total=40)
    log.record(Query(q="eau", start=20), total=40)
    log.record(Query(q="eau", size=0), total=40)  # a count, not a result page
    log.record(Query(), total=40)  # browsing everything
    log.record(Query(q="jean@example.org"), total=0)  # nothing left to count
    log.flush()
    assert store.search_log_rows() == []


def test_protocol_text_trees_are_logged_by_their_words(store: Store) -> None:
    log = SearchLog(store, today=lambda: DAY)
    box = Spatial(bbox=BBox(west=0, south=40, east=5, north=45))
    log.record(Query(text=Term(text="Corine"), where=box), total=1)
    log.flush()
    [row] = store.search_log_rows()
    assert (row["query"], row["filters"]) == ("corine", "bbox")


def test_batches_of_two_processes_add_up(store: Store) -> None:
    first, second = SearchLog(store, today=lambda: DAY), SearchLog(store, today=lambda: DAY)
    first.record(Query(q="eau"), total=3)
    second.record(Query(q="eau"), total=0)
    first.flush()
    second.flush()
    [row] = store.search_log_rows()
    assert (row["searches"], row["no_result"], row["hits"]) == (2, 1, 3)


def test_rows_past_retention_are_deleted(store: Store) -> None:
    old = SearchLog(store, today=lambda: DAY - timedelta(days=11))
    old.record(Query(q="ancien"), total=1)
    old.flush()
    recent = SearchLog(store, retention_days=10, today=lambda: DAY)
    recent.record(Query(q="récent"), total=1)
    recent.flush()
    assert [r["query"] for r in store.search_log_rows()] == ["récent"]


def test_background_writer_writes_on_close(store: Store) -> None:
    log = SearchLog(store, flush_seconds=3600, today=lambda: DAY).start()
    log.record(Query(q="eau"), total=1)
    log.close()
    assert [r["query"] for r in store.search_log_rows()] == ["eau"]


def test_searched_texts_days_and_filters(store: Store) -> None:
    log = SearchLog(store, today=lambda: DAY)
    for text, total, times in [("eau", 3, 5), ("forêt", 1, 2), ("zzz", 0, 3), ("xyz", 0, 1)]:
        for _ in range(times):
            log.record(Query(q=text), total=total)
    log.record(Query(filters={"theme": ["water"]}), total=2)
    log.flush()
    assert sorted(store.searched_texts(DAY)) == [
        LoggedSearch("eau", 5, 0, 15),
        LoggedSearch("forêt", 2, 0, 2),
        LoggedSearch("xyz", 1, 1, 0),
        LoggedSearch("zzz", 3, 3, 0),
    ]
    assert store.searched_texts(DAY + timedelta(days=1)) == []
    by_day = store.searches_by_day(DAY - timedelta(days=3))
    assert {d: (c.searches, c.no_result) for d, c in by_day.items()} == {DAY: (12, 4)}
    assert store.searches_by_filters(DAY) == {"": 11, "theme=water": 1}


def test_a_named_users_search_leaves_nothing_personal(tmp_path: Path) -> None:
    """Through the real API: a gateway-authenticated user searches with their e-mail and a
    token in the box; the table holds the day, the words and the filter, nothing else."""
    settings = Settings(
        store={"url": f"sqlite:///{tmp_path / 'store.db'}"},
        index={"url": f"sqlite:///{tmp_path / 'index.db'}"},
        auth={"mode": "georchestra", "trusted_proxies": [GATEWAY]},
        search_log={"flush_seconds": 3600},
        sources=[
            {"id": "geo", "kind": "csw", "url": "https://geo.example.org/csw"},
            {"id": "opendata", "kind": "csw", "url": "https://data.example.org/csw"},
        ],
    )
    backend = build_backend(settings.index.url)
    backend.open()
    with Store(settings.store.url) as store:
        load_catalogue(store, backend)
        runtime = Runtime(settings, store=store, backend=backend)
        client = create_app(runtime).test_client()
        response = client.get(
            "/api/search",
            query_string={"q": "Jean.Dupont@consultancy.example Eau mst_q8ZkT3vW9xYbL2mN5pR7"},
            headers={
                "sec-username": "jdupont",
                "sec-roles": "ROLE_USER",
                "sec-org": "Agence Ouest",
                "User-Agent": "Firefox/140",
            },
            environ_base={"REMOTE_ADDR": GATEWAY},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        total = response.get_json()["total"]
        runtime.close()  # writes the batch
        with sa.create_engine(settings.store.url).connect() as conn:
            rows = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM search_log"))]
            columns = list(conn.execute(sa.text("SELECT * FROM search_log")).keys())
    backend.close()
    assert columns == ["day", "query", "filters", "searches", "no_result", "hits"]
    assert len(rows) == 1
    day, text, filters, searches, no_result, hits = rows[0]
    assert (text, filters, searches, no_result, hits) == ("eau", "", 1, int(total == 0), total)
    assert len(str(day)) == 10  # the day, no time of day
    flat = " ".join(str(v) for v in rows[0]).lower()
    for personal in ("dupont", "consultancy", "mst_", "agence", GATEWAY, "firefox", "role"):
        assert personal not in flat


def test_derived_searches_are_not_counted(store: Store, tmp_path: Path) -> None:
    """A page's own searches (similar records, counts) pass logged=False."""
    settings = Settings(
        store={"url": store.url},
        index={"url": f"sqlite:///{tmp_path / 'index.db'}"},
        search_log={"flush_seconds": 3600},
    )
    backend = build_backend(settings.index.url)
    backend.open()
    try:
        runtime = Runtime(settings, store=store, backend=backend)
        runtime.search.run(Query(q="similaire"), logged=False)
        runtime.search.search(Query(q="cherché"))
        runtime.close()
    finally:
        backend.close()
    assert [r["query"] for r in store.search_log_rows()] == ["cherché"]
