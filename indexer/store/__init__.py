"""The record store: raw payloads, normalised records, harvest runs, quarantine, retirement,
API tokens and duplicate clusters, in one database.

SQLAlchemy Core, so the same code runs on SQLite (the embedded default) and PostgreSQL (at
scale) from a URL. The store is the source of truth: the search index can always be rebuilt
from it without harvesting again.

Every SQL statement on these tables lives in this package, one module per table group; the
logic that decides what to write (runs, retirement policy, duplicate matching, activity
figures) calls named methods of `Store` and never touches the database itself
(tests/unit/test_store_owns_sql.py checks it):

    schema.py      every table, column upgrades of an older store, SQLite pragmas
    base.py        StoreBase: URL, open/close, the engine
    pages.py       write_page: one harvested page in one transaction
    records.py     reading records and raw payloads, rewriting themes
    runs.py        harvest runs, quarantine, HTTP validators
    retirement.py  missing counts, retirements, held reviews, record history
    activity.py    counts per source and per day for the dashboard
    search_log.py  anonymous search counts per day, query and filters
    trends.py      records, themes, runs and duplicates over time for the dashboard
    tokens.py      API token rows
    clusters.py    fingerprints, postings, pairs, clusters, admin decisions
"""

from __future__ import annotations

from indexer.store.activity import ActivityQueries
from indexer.store.clusters import ClusterTables
from indexer.store.pages import PageWrite, PageWrites, content_hash
from indexer.store.records import RecordReads
from indexer.store.retirement import RetirementTables
from indexer.store.runs import RunRow, RunTables
from indexer.store.search_log import SearchLogTable
from indexer.store.tokens import TokenTable
from indexer.store.trends import TrendQueries

__all__ = ["PageWrite", "RunRow", "Store", "content_hash"]


class Store(
    PageWrites,
    RecordReads,
    RunTables,
    RetirementTables,
    ActivityQueries,
    SearchLogTable,
    TrendQueries,
    TokenTable,
    ClusterTables,
):
    """The record store. Construct with a URL (no I/O), then `open()` or use `with`; build
    it once and hand it down. Each table group's methods are documented in its module."""
