"""Tables of duplicate detection, kept in the store database beside the records.

Their own MetaData, created by `ClusterStore.open()` on the store's engine, so the record
store needs no change to carry them. SQLAlchemy Core types only: SQLite and PostgreSQL alike.
Rows refer to records by `Record.id`, which is stable across re-harvests (it derives from
source id + original id): that is why admin decisions survive a re-harvest.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "cluster_metadata",
    "dup_bands",
    "dup_decisions",
    "dup_fingerprints",
    "dup_keys",
    "dup_members",
    "dup_pairs",
    "dup_related",
]

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

# LSH band keys -> records: records sharing a band are candidate near-duplicates.
dup_bands = sa.Table(
    "dup_bands",
    cluster_metadata,
    sa.Column("band", sa.String(24), primary_key=True),
    sa.Column("record_id", sa.String(64), primary_key=True, index=True),
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
