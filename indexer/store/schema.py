"""The store's tables (SQLAlchemy Core) and what opening a database needs: adding columns
an older version lacked, and the SQLite connection pragmas.

Every table of the store database is declared here, so the schema reads in one place; only
the modules of indexer/store/ import them. Three MetaData: `metadata` (records, runs,
quarantine, retirement, search log; created by Store.open), and `token_metadata` and
`cluster_metadata`, created on first use so a store that never needs them never gets them.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = [
    "add_missing_columns",
    "add_missing_indexes",
    "api_tokens",
    "cluster_metadata",
    "dup_band_keys",
    "dup_decisions",
    "dup_fingerprints",
    "dup_keys",
    "dup_members",
    "dup_pairs",
    "dup_related",
    "harvest_runs",
    "http_validators",
    "metadata",
    "quarantine",
    "raw_payloads",
    "record_events",
    "records",
    "retirement_reviews",
    "search_log",
    "sqlite_pragmas",
    "token_metadata",
]

logger = logging.getLogger(__name__)

metadata = sa.MetaData()

raw_payloads = sa.Table(
    "raw_payloads",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("content_type", sa.String(200), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
)

records = sa.Table(
    "records",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("source_id", sa.String(64), nullable=False),
    sa.Column("original_id", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # Record JSON
    sa.Column("first_seen", sa.DateTime, nullable=False),
    sa.Column("last_seen", sa.DateTime, nullable=False),
    sa.Column("updated", sa.DateTime, nullable=False),
    sa.Column("harvest_run", sa.Integer, nullable=False),
    # Lifecycle (pipeline/retirement.py): the last run that saw the record, how many complete
    # full runs it has been missing from and since when, and when it was retired (hidden
    # from search, kept here; cleared if it comes back).
    sa.Column("seen_run", sa.Integer),
    sa.Column("missing_runs", sa.Integer, nullable=False, default=0, server_default="0"),
    sa.Column("missing_since", sa.DateTime),
    sa.Column("retired", sa.DateTime, index=True),
    # Which thesaurus + rules version (git revision and/or content digest) the record's
    # themes were last computed with by `moisson thesaurus apply` (indexer/theme_publish.py).
    sa.Column("themes_version", sa.String(100)),
    sa.UniqueConstraint("source_id", "original_id", name="uq_records_source_original"),
)
# Records gained per source over time (the dashboard, indexer/store/trends.py) read this
# index alone instead of every record row.
sa.Index("ix_records_source_first_seen", records.c.source_id, records.c.first_seen)

harvest_runs = sa.Table(
    "harvest_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.String(64), nullable=False, index=True),
    sa.Column("started", sa.DateTime, nullable=False),
    sa.Column("ended", sa.DateTime),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("complete", sa.Boolean, nullable=False, default=False),
    sa.Column("pages", sa.Integer, nullable=False, default=0),
    sa.Column("seen", sa.Integer, nullable=False, default=0),
    sa.Column("new", sa.Integer, nullable=False, default=0),
    sa.Column("updated", sa.Integer, nullable=False, default=0),
    sa.Column("unchanged", sa.Integer, nullable=False, default=0),
    sa.Column("quarantined", sa.Integer, nullable=False, default=0),
    sa.Column("declared_total", sa.Integer),
    sa.Column("cursor", sa.Text),
    sa.Column("since", sa.DateTime),
    sa.Column("message", sa.Text),
    # Who runs it (host:pid) and when it last wrote a page: a "running" run whose owner is
    # gone was interrupted and is resumed from `cursor` (pipeline/runs.py).
    sa.Column("owner", sa.String(200)),
    sa.Column("heartbeat", sa.DateTime),
    sa.Column("retired", sa.Integer, nullable=False, default=0, server_default="0"),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, nullable=False, index=True),
    sa.Column("source_id", sa.String(64), nullable=False, index=True),
    sa.Column("original_id", sa.Text),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw_sha256", sa.String(64), nullable=False),
    sa.Column("created", sa.DateTime, nullable=False),
    # Set when a later run stored a valid record with the same id, or superseded the entry.
    sa.Column("resolved", sa.DateTime),
)

# What happened to a record over time beyond content changes: missing, retired, revived.
record_events = sa.Table(
    "record_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("record_id", sa.String(64), nullable=False, index=True),
    sa.Column("source_id", sa.String(64), nullable=False),
    sa.Column("run_id", sa.Integer),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("detail", sa.Text),
)

# Retirements held back by the circuit breaker until an admin decides.
retirement_reviews = sa.Table(
    "retirement_reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.String(64), nullable=False, index=True),
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("candidates", sa.Integer, nullable=False),
    sa.Column("active", sa.Integer, nullable=False),
    sa.Column("record_ids", sa.Text, nullable=False),  # JSON list
    sa.Column("status", sa.String(20), nullable=False),  # pending | approved | rejected
    sa.Column("decided", sa.DateTime),
)

# ETag / Last-Modified of whole-catalogue documents, saved only after a complete run, so a
# crash before the records were stored can never turn into a 304 that skips them.
http_validators = sa.Table(
    "http_validators",
    metadata,
    sa.Column("source_id", sa.String(64), primary_key=True),
    sa.Column("url", sa.String(2000), primary_key=True),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("saved", sa.DateTime, nullable=False),
)


# What people search for, without who (indexer/search_log.py): one row per UTC day, normalised
# query text (e-mails and token-like words removed) and filters used, with how many searches
# ran it, how many found nothing and the hits they found in all. No user, address or time
# beyond the day is ever written; rows older than `[search_log] retention_days` are deleted.
search_log = sa.Table(
    "search_log",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("query", sa.String(200), primary_key=True),
    sa.Column("filters", sa.String(500), primary_key=True),
    sa.Column("searches", sa.Integer, nullable=False),
    sa.Column("no_result", sa.Integer, nullable=False),
    sa.Column("hits", sa.BigInteger, nullable=False),
    # SQLite keeps the rows in the primary key's b-tree: the dashboard's scans of a period
    # (a range of days) read that one tree (3x faster per day grouping at 100k rows).
    sqlite_with_rowid=False,
)

# API tokens (auth mode `token`, indexer/tokens.py): only a token's SHA-256 is kept.
token_metadata = sa.MetaData()

api_tokens = sa.Table(
    "api_tokens",
    token_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("roles", sa.Text, nullable=False),  # JSON list
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("revoked", sa.DateTime),
)

# Duplicate detection (indexer/cluster_store.py). Rows refer to records by `Record.id`,
# which is stable across re-harvests (it derives from source id + original id): that is why
# admin decisions survive a re-harvest.
cluster_metadata = sa.MetaData()

# One row per fingerprinted record: the Fingerprint as JSON and its MinHash signature.
dup_fingerprints = sa.Table(
    "dup_fingerprints",
    cluster_metadata,
    sa.Column("record_id", sa.String(64), primary_key=True),
    sa.Column("source_id", sa.String(64), nullable=False, index=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("signature", sa.LargeBinary, nullable=False),
)

# Strong keys (identifier, DOI, landing page, service layer) -> records holding them.
dup_keys = sa.Table(
    "dup_keys",
    cluster_metadata,
    sa.Column("key", sa.String(1000), primary_key=True),
    sa.Column("record_id", sa.String(64), primary_key=True, index=True),
    sa.Column("source_id", sa.String(64), nullable=False),
)

# LSH band keys -> records: records sharing a band are candidate near-duplicates. The band
# is a 64-bit integer (indexer/fingerprints.py `band_ints`), the table clustered on
# (band, record_id) (WITHOUT ROWID in SQLite) with no second index: a record's postings are
# deleted by their full key, recomputed from its stored signature (`ClusterBatch.forget`).
# At 50k records the postings take 65 MiB instead of the 227 MiB of the text rows in two
# B-trees they replace (`dup_bands`, migrated on open: `migrate_band_postings`).
dup_band_keys = sa.Table(
    "dup_band_keys",
    cluster_metadata,
    sa.Column("band", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("record_id", sa.String(64), primary_key=True),
    sqlite_with_rowid=False,
)

# Confirmed pairs (a < b) and the evidence that joined them.
dup_pairs = sa.Table(
    "dup_pairs",
    cluster_metadata,
    sa.Column("a", sa.String(64), primary_key=True),
    sa.Column("b", sa.String(64), primary_key=True, index=True),
    sa.Column("kind", sa.String(20), nullable=False),  # key | similar
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
)

# Related but distinct records (a < b): they share a link key (one service layer, one
# landing page) but their titles name different years or places, or their extents do not
# overlap (indexer/fingerprints.py `link_conflict`). Shown as related, never folded.
dup_related = sa.Table(
    "dup_related",
    cluster_metadata,
    sa.Column("a", sa.String(64), primary_key=True),
    sa.Column("b", sa.String(64), primary_key=True, index=True),
    sa.Column("detail", sa.Text, nullable=False),
)

# Members of clusters of two or more records; a record with no row stands alone.
dup_members = sa.Table(
    "dup_members",
    cluster_metadata,
    sa.Column("record_id", sa.String(64), primary_key=True),
    sa.Column("cluster_id", sa.String(64), nullable=False, index=True),
    sa.Column("canonical", sa.Boolean, nullable=False),
)

# Admin decisions: `apart` (record_id and other_id must never share a cluster) and `pin`
# (record_id is the canonical member of whatever cluster holds it).
dup_decisions = sa.Table(
    "dup_decisions",
    cluster_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("record_id", sa.String(64), nullable=False, index=True),
    sa.Column("other_id", sa.String(64)),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("note", sa.Text),
)


def add_missing_columns(engine: Engine) -> None:
    """Bring a store created by an older version up to date: add the columns it lacks
    (all nullable or with a server default), so opening never needs a manual migration."""
    inspector = sa.inspect(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                spec = sa.schema.CreateColumn(column).compile(dialect=engine.dialect)
                logger.info("store: adding column %s.%s", table.name, column.name)
                conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {spec}"))


def add_missing_indexes(engine: Engine) -> None:
    """Create the indexes of `metadata` a store made by an older version lacks (create_all
    adds missing tables, not indexes on existing ones)."""
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        present = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in present:
                logger.info("store: adding index %s", index.name)
                index.create(engine, checkfirst=True)


def sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL lets the API read while a harvest writes; NORMAL sync is safe under WAL. Only
    checkpoints fsync, so checkpointing every 64 MiB instead of 4 MiB took the store's share
    of a harvest from 0.77 to 0.47 s per 5,000 records."""
    cursor = dbapi_conn.cursor()
    # First, so that switching to WAL waits for another connection's lock instead of failing.
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA wal_autocheckpoint=16384")
    cursor.close()
