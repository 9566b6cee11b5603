"""The SQL of duplicate detection: fingerprints, key and band postings, pairs, clusters and
admin decisions, kept in the store database beside the records.

Matching and clustering are indexer/cluster_store.py's; it works on a `ClusterBatch`, one
transaction (`Store.cluster_batch()`) or one read-only connection (`Store.cluster_reading()`),
so an update's reads and writes see one state of the tables. The tables are created on
first use (`Store.open_cluster_tables()`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

from indexer.clusters import Pair
from indexer.fingerprints import Fingerprint, band_ints
from indexer.store.base import StoreBase
from indexer.store.schema import (
    cluster_metadata,
    dup_band_keys,
    dup_decisions,
    dup_fingerprints,
    dup_keys,
    dup_members,
    dup_pairs,
    dup_related,
    records,
)

__all__ = ["ClusterBatch", "ClusterTables"]

logger = logging.getLogger(__name__)

_CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's limits
_INT_CHUNK = 5000  # band keys per lookup query: a page's in one
_MIGRATE_BATCH = 2000  # fingerprints read per step when rebuilding band postings


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    ids = list(ids)
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _dump(fp: Fingerprint) -> tuple[str, bytes]:
    body = {
        "record_id": fp.record_id,
        "source_id": fp.source_id,
        "title": fp.title,
        "title_tokens": fp.title_tokens,
        "marked_tokens": sorted(fp.marked_tokens),
        "keys": sorted(fp.keys),
        "bbox": fp.bbox,
        "resource_type": fp.resource_type,
        "completeness": fp.completeness,
        "freshness": fp.freshness,
        "producer": fp.producer,
    }
    return json.dumps(body), fp.signature.astype("<u8").tobytes()


def _load(body: str, signature: bytes) -> Fingerprint:
    data = json.loads(body)
    return Fingerprint(
        record_id=data["record_id"],
        source_id=data["source_id"],
        title=data["title"],
        title_tokens=tuple(data["title_tokens"]),
        marked_tokens=frozenset(data["marked_tokens"]),
        keys=frozenset(data["keys"]),
        signature=np.frombuffer(signature, dtype="<u8").astype(np.uint64),
        bbox=tuple(data["bbox"]) if data["bbox"] else None,
        resource_type=data["resource_type"],
        completeness=data["completeness"],
        freshness=data["freshness"],
        producer=data.get("producer", ""),  # absent from fingerprints stored before it
    )


def _band_rows(stored: Sequence[tuple[str, bytes]]) -> list[tuple[int, str]]:
    """(band key, record id) postings of stored (record id, signature) rows, in key order."""
    if not stored:
        return []
    signatures = np.stack([np.frombuffer(sig, dtype="<u8") for _, sig in stored])
    keys = band_ints(signatures.astype(np.uint64)).tolist()
    return sorted((band, rid) for (rid, _), row in zip(stored, keys, strict=True) for band in row)


def _pair(row: Any) -> Pair:
    return Pair(row.a, row.b, row.kind, row.detail, row.score)


class ClusterBatch:
    """Reads and writes of the duplicate tables on one connection. Id lists of any length
    are sent in chunks."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    # -- fingerprints and postings ---------------------------------------------------------

    def fingerprints(self, ids: Iterable[str]) -> dict[str, Fingerprint]:
        """record id -> stored fingerprint, for those of `ids` that have one."""
        out: dict[str, Fingerprint] = {}
        sql = "SELECT body, signature FROM dup_fingerprints WHERE " + self._any("record_id")
        for body, signature in self._rows(sql, sorted(ids)):
            fp = _load(body, bytes(signature))
            out[fp.record_id] = fp
        return out

    def add_fingerprints(self, fps: Sequence[Fingerprint]) -> None:
        """Store fingerprints with their key and band postings."""
        if not fps:
            return
        rows: list[tuple[str, str, str, bytes]] = []
        keys: list[tuple[str, ...]] = []
        bands: list[tuple[int, str]] = []
        for fp in fps:
            body, sig = _dump(fp)
            rows.append((fp.record_id, fp.source_id, body, sig))
            keys += [(k, fp.record_id, fp.source_id) for k in fp.keys]
            bands += [(b, fp.record_id) for b in fp.bands]
        columns = ("record_id", "source_id", "body", "signature")
        self._bulk_insert("dup_fingerprints", columns, rows)
        self._bulk_insert("dup_keys", ("key", "record_id", "source_id"), keys)
        # In key order: consecutive inserts land on neighbouring B-tree pages.
        self._bulk_insert("dup_band_keys", ("band", "record_id"), sorted(bands))

    def forget(self, ids: Sequence[str]) -> None:
        """Drop the fingerprints, postings, pairs and related pairs of `ids` (cluster rows
        stay). Only fingerprinted records have postings and pairs, so the deletes run for
        those alone (none on a first harvest: one primary-key lookup per page). Band postings
        are deleted by their full key, recomputed from the stored signatures (the band table
        has no record_id index to keep up)."""
        for chunk in _chunks(ids):
            sql = "SELECT record_id, signature FROM dup_fingerprints WHERE "
            sql += self._any("record_id")
            stored = [(record_id, bytes(sig)) for record_id, sig in self._rows(sql, chunk)]
            if not stored:
                continue
            known = [record_id for record_id, _ in stored]
            sql = "DELETE FROM dup_band_keys WHERE band = {0} AND record_id = {0}"
            self._conn.exec_driver_sql(sql.format(self._mark()), _band_rows(stored))
            for pairs in (dup_pairs, dup_related):
                self._conn.execute(pairs.delete().where(pairs.c.a.in_(known)))
                self._conn.execute(pairs.delete().where(pairs.c.b.in_(known)))
            for table in (dup_keys, dup_fingerprints):
                self._conn.execute(table.delete().where(table.c.record_id.in_(known)))

    def clear(self) -> None:
        """Drop every fingerprint, posting, pair and cluster; admin decisions stay."""
        tables = (dup_members, dup_pairs, dup_related, dup_band_keys, dup_keys, dup_fingerprints)
        for table in tables:
            self._conn.execute(table.delete())

    def key_holders(self, keys: Iterable[str]) -> dict[str, dict[str, str]]:
        """strong key -> {record id: source id} of the records posting it, for those of
        `keys` someone holds (the source says whether two holders share one)."""
        out: dict[str, dict[str, str]] = {}
        sql = "SELECT key, record_id, source_id FROM dup_keys WHERE " + self._any("key")
        for key, record_id, source_id in self._rows(sql, sorted(keys)):
            out.setdefault(key, {})[record_id] = source_id
        return out

    def band_holders(self, bands: Iterable[int]) -> dict[int, set[str]]:
        """LSH band key -> the records posting it, for those of `bands` someone holds. One
        query per 5,000 keys (a page's 32 per record), the keys sent as one parameter (a
        JSON array in SQLite, an array in PostgreSQL): one statement text, so the driver's
        statement cache holds one prepared statement instead of one per page (inlined
        integer lists cost ~32 MiB of RSS that way), and no bound parameter per key."""
        out: dict[int, set[str]] = {}
        wanted = sorted({int(b) for b in bands})
        if self._conn.dialect.name == "sqlite":
            sql = "SELECT band, record_id FROM dup_band_keys WHERE band IN "
            sql += "(SELECT value FROM json_each(?))"
        else:
            sql = "SELECT band, record_id FROM dup_band_keys WHERE band = ANY(%s::bigint[])"
        for start in range(0, len(wanted), _INT_CHUNK):
            chunk = wanted[start : start + _INT_CHUNK]
            param: str | list[int] = json.dumps(chunk) if self._mark() == "?" else chunk
            for band, record_id in self._conn.exec_driver_sql(sql, (param,)):
                out.setdefault(band, set()).add(record_id)
        return out

    # -- pairs and decisions ---------------------------------------------------------------

    def add_pairs(self, pairs: Sequence[Pair]) -> None:
        if pairs:
            self._conn.execute(dup_pairs.insert(), [asdict(p) for p in pairs])

    def add_related(self, pairs: Sequence[Pair]) -> None:
        """Related-but-distinct pairs (never folded; see dup_related)."""
        rows = {(p.a, p.b): {"a": p.a, "b": p.b, "detail": p.detail} for p in pairs}
        if rows:
            self._conn.execute(dup_related.insert(), list(rows.values()))

    def related_of(self, ids: Iterable[str]) -> list[Pair]:
        """Related pairs touching any of `ids`, ordered."""
        found: dict[tuple[str, str], Pair] = {}
        for chunk in _chunks(sorted(ids)):
            stmt = sa.select(dup_related).where(
                sa.or_(dup_related.c.a.in_(chunk), dup_related.c.b.in_(chunk))
            )
            for row in self._conn.execute(stmt):
                found[(row.a, row.b)] = Pair(row.a, row.b, "related", row.detail, 0.0)
        return [found[key] for key in sorted(found)]

    def pairs_from(self, ids: Iterable[str]) -> list[Pair]:
        """Pairs whose first (smaller) id is one of `ids`."""
        out: list[Pair] = []
        for chunk in _chunks(sorted(ids)):
            stmt = sa.select(dup_pairs).where(dup_pairs.c.a.in_(chunk))
            out += [_pair(p) for p in self._conn.execute(stmt)]
        return out

    def pairs_within(self, ids: Sequence[str]) -> list[Pair]:
        """Pairs between two of `ids` (one cluster's members), ordered."""
        stmt = (
            sa.select(dup_pairs)
            .where(dup_pairs.c.a.in_(ids), dup_pairs.c.b.in_(ids))
            .order_by(dup_pairs.c.a, dup_pairs.c.b)
        )
        return [_pair(p) for p in self._conn.execute(stmt)]

    def decisions_on(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        """Admin decisions whose `record_id` is one of `ids`."""
        out: list[dict[str, Any]] = []
        for chunk in _chunks(sorted(ids)):
            stmt = sa.select(dup_decisions).where(dup_decisions.c.record_id.in_(chunk))
            out += [dict(d._mapping) for d in self._conn.execute(stmt)]
        return out

    def decisions(self) -> list[dict[str, Any]]:
        """Every admin decision, oldest first."""
        rows = self._conn.execute(sa.select(dup_decisions).order_by(dup_decisions.c.id))
        return [dict(r._mapping) for r in rows]

    def set_apart(
        self, moving: Iterable[str], staying: Sequence[str], at: datetime, note: str | None
    ) -> None:
        """Decide that each of `moving` never shares a cluster with any of `staying`."""
        rows = [
            {"kind": "apart", "record_id": x, "other_id": y, "created": at, "note": note}
            for x in moving
            for y in staying
        ]
        if rows:
            self._conn.execute(dup_decisions.insert(), rows)

    def pin(self, record_id: str, members: Sequence[str], at: datetime, note: str | None) -> None:
        """Make `record_id` the pinned canonical, replacing any pin among `members`."""
        self._conn.execute(
            dup_decisions.delete().where(
                dup_decisions.c.kind == "pin", dup_decisions.c.record_id.in_(members)
            )
        )
        self._conn.execute(
            dup_decisions.insert().values(kind="pin", record_id=record_id, created=at, note=note)
        )

    # -- cluster membership ----------------------------------------------------------------

    def clustered_ids(self) -> set[str]:
        return set(self._conn.scalars(sa.select(dup_members.c.record_id)))

    def cluster_id_of(self, record_id: str) -> str | None:
        return self._conn.scalar(
            sa.select(dup_members.c.cluster_id).where(dup_members.c.record_id == record_id)
        )

    def cluster_rows(self, cluster_id: str) -> list[tuple[str, bool]]:
        """(record id, canonical) of a cluster's members, in id order."""
        stmt = (
            sa.select(dup_members.c.record_id, dup_members.c.canonical)
            .where(dup_members.c.cluster_id == cluster_id)
            .order_by(dup_members.c.record_id)
        )
        return [(r.record_id, bool(r.canonical)) for r in self._conn.execute(stmt)]

    def cluster_ids(self, source_id: str | None = None) -> list[str]:
        """Every cluster id, or those with a fingerprinted member from `source_id`."""
        stmt = sa.select(dup_members.c.cluster_id).distinct().order_by(dup_members.c.cluster_id)
        if source_id is not None:
            stmt = stmt.where(
                dup_members.c.record_id.in_(
                    sa.select(dup_fingerprints.c.record_id).where(
                        dup_fingerprints.c.source_id == source_id
                    )
                )
            )
        return list(self._conn.scalars(stmt))

    def clusters_of(self, ids: Iterable[str]) -> dict[str, list[tuple[str, bool]]]:
        """cluster id -> (record id, canonical) of every member, for each cluster holding
        one of `ids`."""
        out: dict[str, list[tuple[str, bool]]] = {}
        sql = "SELECT cluster_id, record_id, canonical FROM dup_members WHERE cluster_id IN "
        sql += "(SELECT cluster_id FROM dup_members WHERE " + self._any("record_id") + ")"
        for cluster_id, record_id, canonical in self._rows(sql, sorted(ids)):
            out.setdefault(cluster_id, []).append((record_id, bool(canonical)))
        return out

    def mates(self, ids: Iterable[str]) -> set[str]:
        """Every member of every cluster holding one of `ids` (those of `ids` included)."""
        sql = "SELECT record_id FROM dup_members WHERE cluster_id IN "
        sql += "(SELECT cluster_id FROM dup_members WHERE " + self._any("record_id") + ")"
        return {record_id for (record_id,) in self._rows(sql, sorted(ids))}

    def membership(self) -> dict[str, tuple[str, bool]]:
        """record id -> (cluster id, canonical) for every clustered record."""
        return {
            r.record_id: (r.cluster_id, bool(r.canonical))
            for r in self._conn.execute(sa.select(dup_members))
        }

    def drop_members(self, ids: Sequence[str]) -> None:
        """Take `ids` out of whatever cluster holds them."""
        for chunk in _chunks(sorted(ids)):
            self._conn.execute(dup_members.delete().where(dup_members.c.record_id.in_(chunk)))

    def add_members(self, rows: Sequence[tuple[str, str, bool]]) -> None:
        """(record id, cluster id, canonical) rows."""
        if rows:
            self._conn.execute(
                dup_members.insert(),
                [{"record_id": r, "cluster_id": c, "canonical": k} for r, c, k in rows],
            )

    # -- what the clusters say about records -----------------------------------------------

    def origins(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """record id -> (source id, original id), for the stored ones among `ids`."""
        out: dict[str, tuple[str, str]] = {}
        for chunk in _chunks(ids):
            stmt = sa.select(records.c.id, records.c.source_id, records.c.original_id)
            for row in self._conn.execute(stmt.where(records.c.id.in_(chunk))):
                out[row.id] = (row.source_id, row.original_id)
        return out

    def sources_of(self, ids: Iterable[str]) -> dict[str, str]:
        """record id -> source id, for the fingerprinted ones among `ids`."""
        out: dict[str, str] = {}
        for chunk in _chunks(ids):
            stmt = sa.select(dup_fingerprints.c.record_id, dup_fingerprints.c.source_id)
            for row in self._conn.execute(stmt.where(dup_fingerprints.c.record_id.in_(chunk))):
                out[row.record_id] = row.source_id
        return out

    def fingerprint_counts(self) -> dict[str, int]:
        """source id -> fingerprinted records."""
        stmt = sa.select(dup_fingerprints.c.source_id, sa.func.count()).group_by(
            dup_fingerprints.c.source_id
        )
        return {row[0]: int(row[1]) for row in self._conn.execute(stmt)}

    def _any(self, column: str) -> str:
        """SQL saying that `column` is one of a list sent as one parameter (`_rows`): a
        JSON array read by `json_each` in SQLite, a text array in PostgreSQL. One statement
        text whatever the list's length, so the driver prepares it once per connection,
        where an `IN (...)` list of literals is compiled and prepared again for each page."""
        if self._mark() == "?":
            return f"{column} IN (SELECT value FROM json_each(?))"
        return f"{column} = ANY(%s::text[])"

    def _rows(self, sql: str, values: Sequence[str]) -> list[Any]:
        """The rows of `sql` (one `_any` condition) for `values`; none if `values` is empty."""
        if not values:
            return []
        param: str | list[str] = json.dumps(values) if self._mark() == "?" else list(values)
        return list(self._conn.exec_driver_sql(sql, (param,)))

    def _mark(self) -> str:
        """The driver's positional parameter mark."""
        return "?" if self._conn.dialect.paramstyle == "qmark" else "%s"

    def _bulk_insert(
        self, table: str, columns: tuple[str, ...], rows: Sequence[tuple[str | int | bytes, ...]]
    ) -> None:
        """executemany straight to the driver: 32 band postings per record make SQLAlchemy's
        per-row parameter handling the largest cost of an update. Plain strings, integers and
        bytes only, in the driver's positional style (`?` for sqlite3, `%s` for psycopg)."""
        if not rows:
            return
        marks = ", ".join([self._mark()] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        self._conn.exec_driver_sql(sql, rows)


class ClusterTables(StoreBase):
    """Access to the duplicate tables, one batch at a time."""

    def open_cluster_tables(self) -> None:
        """Create the duplicate tables if they are not there yet, and bring an older
        store's band postings to the integer table."""
        fresh = id(cluster_metadata) not in self._created
        engine = self._ensure(cluster_metadata, "the cluster tables")
        if fresh and sa.inspect(engine).has_table("dup_bands"):
            self.migrate_band_postings()

    def migrate_band_postings(self) -> int:
        """Replace the text band postings of a store made before `dup_band_keys` (table
        `dup_bands`, band as 18 characters) by integer ones recomputed from the stored
        signatures, then drop the old table; one transaction, so a failed migration leaves
        the old table for the next open. Returns the fingerprints migrated."""
        done = 0
        with self.engine.begin() as conn:
            batch = ClusterBatch(conn)
            conn.execute(dup_band_keys.delete())
            last = ""
            while True:
                stmt = (
                    sa.select(dup_fingerprints.c.record_id, dup_fingerprints.c.signature)
                    .where(dup_fingerprints.c.record_id > last)
                    .order_by(dup_fingerprints.c.record_id)
                    .limit(_MIGRATE_BATCH)
                )
                found = [(row.record_id, bytes(row.signature)) for row in conn.execute(stmt)]
                if not found:
                    break
                batch._bulk_insert("dup_band_keys", ("band", "record_id"), _band_rows(found))
                done += len(found)
                last = found[-1][0]
            conn.exec_driver_sql("DROP TABLE dup_bands")
        logger.info("store: band postings of %d fingerprints moved to dup_band_keys", done)
        return done

    @contextmanager
    def cluster_batch(self) -> Iterator[ClusterBatch]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as conn:
            yield ClusterBatch(conn)

    @contextmanager
    def cluster_reading(self) -> Iterator[ClusterBatch]:
        """One connection for reads that must agree with each other (nothing is written)."""
        with self.engine.connect() as conn:
            yield ClusterBatch(conn)
