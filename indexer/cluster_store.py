"""Duplicate clusters kept in the store database, updated incrementally as sources are
harvested, with admin decisions (split, pin) that survive re-harvests.

`ClusterStore.update(records)` is called by the Ingestor after each page is stored, with
the records that page changed. Only those are re-fingerprinted; their candidates are found
through the persisted key and band tables (no scan of the store), and only the clusters
they touch are rebuilt. `rebuild(store)` recomputes everything from the store in memory.

Search shows one hit per cluster (indexer/collapse.py), so every write here notes the
records whose cluster may have changed (`take_affected()` hands them over, once) and
`roles(ids)` says what each record's place in its cluster now is, for re-indexing them.

Nothing is merged destructively: every copy stays in the `records` table with its own
provenance; clusters only say which records are one dataset and which copy is canonical.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from indexer.cluster_tables import (
    cluster_metadata,
    dup_bands,
    dup_decisions,
    dup_fingerprints,
    dup_keys,
    dup_members,
    dup_pairs,
)
from indexer.clusters import (
    LINK_KEYS,
    MAX_BUCKET,
    Pair,
    build_clusters,
    choose_canonical,
    find_pairs,
    rank_members,
    without_keys,
)
from indexer.fingerprints import Fingerprint, MatchParams, compare, fingerprint
from indexer.store import Store
from indexer.store_schema import records
from moisson.config import DuplicatesSettings
from moisson.errors import BackendUnavailable, NotFound
from moisson.record import PUBLIC, ClusterMember, Collapse, Record

__all__ = ["ClusterStore", "ClusterView", "UpdateReport"]

logger = logging.getLogger(__name__)
_CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's limits


@dataclass
class UpdateReport:
    """What one incremental update did: the counts tests and logs rely on."""

    fingerprinted: int = 0
    compared: int = 0
    pairs: int = 0
    reclustered: int = 0  # records whose cluster membership was recomputed
    # those records' ids: their role in search (canonical, members) may have changed
    affected: set[str] = field(default_factory=set, repr=False)


@dataclass
class ClusterView:
    """One cluster as the API and the report show it."""

    id: str
    canonical: str
    members: list[str]
    pairs: list[Pair] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _chunks(ids: Sequence[str]) -> Iterable[list[str]]:
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


class ClusterStore:
    """Clusters over a `Store`'s database. Construct (no I/O), then `open()`."""

    def __init__(self, store: Store, settings: DuplicatesSettings | None = None) -> None:
        self.store = store
        self.settings = settings or DuplicatesSettings()
        self.totals = UpdateReport()  # summed over this instance's updates (logs, tests)
        self.params = MatchParams(
            text_similarity=self.settings.text_similarity,
            title_similarity=self.settings.title_similarity,
            bbox_overlap=self.settings.bbox_overlap,
        )
        self._affected: set[str] = set()
        self._affected_lock = threading.Lock()

    def open(self) -> ClusterStore:
        try:
            cluster_metadata.create_all(self.store.engine)
        except SQLAlchemyError as exc:
            raise BackendUnavailable("cannot create the cluster tables", detail=str(exc)) from exc
        return self

    # -- writing ---------------------------------------------------------------------------

    def update(self, records: Sequence[Record]) -> UpdateReport:
        """Re-fingerprint `records` (new or changed), re-match them, rebuild the clusters
        they were in or now join. Nothing else is read or written."""
        report = UpdateReport()
        if not records:
            return report
        fps = {r.id: fingerprint(r) for r in records}
        report.fingerprinted = len(fps)
        with self.store.engine.begin() as conn:
            affected = set(fps) | self._cluster_mates(conn, fps)
            self._forget(conn, list(fps))
            others, loaded = self._candidates(conn, fps)  # before our own postings exist
            self._insert(conn, list(fps.values()))
            found: list[Pair] = []
            ambiguous = self._ambiguous(conn, {k for fp in fps.values() for k in fp.keys})
            for rid, candidate_ids in others.items():
                mine = fps[rid]
                for other_id in sorted(candidate_ids):
                    other = fps.get(other_id) or loaded[other_id]
                    if other_id in fps and other_id < rid:
                        continue  # both changed: compared once, from the smaller id
                    report.compared += 1
                    a = without_keys(mine, ambiguous)
                    verdict = compare(a, without_keys(other, ambiguous), self.params)
                    if verdict.same:
                        found.append(Pair.of(rid, other_id, verdict.kind, verdict.detail, 1.0))
            if found:
                conn.execute(dup_pairs.insert(), [asdict(p) for p in _unique(found)])
            report.pairs = len(_unique(found))
            partners = {p.a for p in found} | {p.b for p in found}
            affected |= partners | self._cluster_mates(conn, partners)
            report.reclustered = self._recluster(conn, affected)
            report.affected = affected
        for name in ("fingerprinted", "compared", "pairs", "reclustered"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(report, name))
        logger.info("clusters: %s", report)
        return report

    def remove(self, record_ids: Sequence[str]) -> int:
        """Forget records (retired or deleted) and rebuild the clusters they were in."""
        with self.store.engine.begin() as conn:
            mates = self._cluster_mates(conn, set(record_ids)) - set(record_ids)
            self._forget(conn, list(record_ids))
            for chunk in _chunks(list(record_ids)):
                conn.execute(dup_members.delete().where(dup_members.c.record_id.in_(chunk)))
            return self._recluster(conn, mates)

    def rebuild(self, records: Iterable[Record]) -> UpdateReport:
        """Recompute every fingerprint, pair and cluster (decisions are kept)."""
        fps = [fingerprint(r) for r in records]
        pairs, compared = find_pairs(fps, self.params)
        with self.store.engine.begin() as conn:
            self._note(set(conn.scalars(sa.select(dup_members.c.record_id))))  # old clusters
            for table in (dup_members, dup_pairs, dup_bands, dup_keys, dup_fingerprints):
                conn.execute(table.delete())
            self._insert(conn, fps)
            if pairs:
                conn.execute(dup_pairs.insert(), [asdict(p) for p in pairs])
            reclustered = self._recluster(conn, {p.a for p in pairs} | {p.b for p in pairs})
        return UpdateReport(len(fps), compared, len(pairs), reclustered)

    def split(self, record_ids: Sequence[str], note: str | None = None) -> list[ClusterView]:
        """Take `record_ids` out of their cluster: each is set apart from every other member
        of it (they stay together if several are given). Returns the resulting clusters."""
        cluster = self.cluster_of(record_ids[0])
        if cluster is None:
            raise NotFound(f"record {record_ids[0]!r} is in no cluster")
        moving = set(record_ids)
        if not moving <= set(cluster.members):
            raise NotFound("the records to split out are not all in one cluster")
        staying = [m for m in cluster.members if m not in moving]
        now = _now()
        with self.store.engine.begin() as conn:
            rows = [
                {"kind": "apart", "record_id": x, "other_id": y, "created": now, "note": note}
                for x in sorted(moving)
                for y in staying
            ]
            if rows:
                conn.execute(dup_decisions.insert(), rows)
            self._recluster(conn, set(cluster.members))
        return [v for v in (self.cluster_of(m) for m in sorted(moving)[:1] + staying[:1]) if v]

    def pin(self, record_id: str, note: str | None = None) -> ClusterView:
        """Make `record_id` the canonical member of its cluster, now and after re-harvests."""
        cluster = self.cluster_of(record_id)
        if cluster is None:
            raise NotFound(f"record {record_id!r} is in no cluster")
        with self.store.engine.begin() as conn:
            conn.execute(
                dup_decisions.delete().where(
                    dup_decisions.c.kind == "pin", dup_decisions.c.record_id.in_(cluster.members)
                )
            )
            conn.execute(
                dup_decisions.insert().values(
                    kind="pin", record_id=record_id, created=_now(), note=note
                )
            )
            self._recluster(conn, set(cluster.members))
        view = self.cluster_of(record_id)
        assert view is not None
        return view

    def take_affected(self) -> set[str]:
        """The records whose cluster may have changed since the last call (every update,
        remove, rebuild, split and pin notes them), then forgets them: whoever takes them
        re-indexes them (indexer/collapse.py), so the search collapse follows."""
        with self._affected_lock:
            taken, self._affected = self._affected, set()
        return taken

    def _note(self, ids: Iterable[str]) -> None:
        with self._affected_lock:
            self._affected.update(ids)

    # -- reading ---------------------------------------------------------------------------

    def roles(
        self, record_ids: Iterable[str], access: Callable[[str], list[str]] | None = None
    ) -> dict[str, Collapse]:
        """record id -> its place in its cluster, for the clustered ones among `record_ids`
        (a record missing from the answer stands alone). Members are ranked canonical first,
        then by the canonical order; `access(source_id)` gives who may see a member (None:
        everyone)."""
        ids = set(record_ids)
        clustered: dict[str, list[tuple[str, bool]]] = {}
        with self.store.engine.connect() as conn:
            for chunk in _chunks(sorted(ids)):
                cids = sa.select(dup_members.c.cluster_id).where(dup_members.c.record_id.in_(chunk))
                stmt = sa.select(dup_members).where(dup_members.c.cluster_id.in_(cids))
                for row in conn.execute(stmt):
                    clustered.setdefault(row.cluster_id, []).append(
                        (row.record_id, bool(row.canonical))
                    )
            everyone = sorted({m for members in clustered.values() for m, _ in members})
            fps = self._fingerprints(conn, everyone)
            origin: dict[str, tuple[str, str]] = {}
            for chunk in _chunks(everyone):
                stmt = sa.select(records.c.id, records.c.source_id, records.c.original_id)
                for row in conn.execute(stmt.where(records.c.id.in_(chunk))):
                    origin[row.id] = (row.source_id, row.original_id)
        out: dict[str, Collapse] = {}
        for members in clustered.values():
            canonical = [m for m, is_canonical in members if is_canonical]
            rest = rank_members(
                [fps[m] for m, _ in members if m in fps and m not in canonical],
                self.settings.source_priority,
            )
            ranked = [m for m in [*canonical, *rest] if m in origin]
            listed = []
            for m in ranked:
                source, original = origin[m]
                allowed = access(source) if access is not None else [PUBLIC]
                listed.append(ClusterMember(id=source, original_id=original, access=allowed))
            for position, m in enumerate(ranked):
                if m in ids:
                    before = [v for member in listed[:position] for v in member.access]
                    out[m] = Collapse(
                        canonical=position == 0,
                        members=listed,
                        outranked_by=list(dict.fromkeys(before)),
                    )
        return out

    def cluster_of(self, record_id: str) -> ClusterView | None:
        with self.store.engine.connect() as conn:
            cid = conn.scalar(
                sa.select(dup_members.c.cluster_id).where(dup_members.c.record_id == record_id)
            )
        return self.cluster(cid) if cid else None

    def cluster(self, cluster_id: str) -> ClusterView | None:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(dup_members.c.record_id, dup_members.c.canonical)
                .where(dup_members.c.cluster_id == cluster_id)
                .order_by(dup_members.c.record_id)
            ).all()
            if not rows:
                return None
            ids = [r.record_id for r in rows]
            pairs = [
                Pair(p.a, p.b, p.kind, p.detail, p.score)
                for p in conn.execute(
                    sa.select(dup_pairs)
                    .where(dup_pairs.c.a.in_(ids), dup_pairs.c.b.in_(ids))
                    .order_by(dup_pairs.c.a, dup_pairs.c.b)
                )
            ]
        canonical = next(r.record_id for r in rows if r.canonical)
        return ClusterView(cluster_id, canonical, ids, pairs)

    def clusters(self, source_id: str | None = None) -> list[ClusterView]:
        """Every cluster, or those with a member from `source_id`."""
        stmt = sa.select(dup_members.c.cluster_id).distinct().order_by(dup_members.c.cluster_id)
        if source_id is not None:
            stmt = stmt.where(
                dup_members.c.record_id.in_(
                    sa.select(dup_fingerprints.c.record_id).where(
                        dup_fingerprints.c.source_id == source_id
                    )
                )
            )
        with self.store.engine.connect() as conn:
            ids = list(conn.scalars(stmt))
        return [view for view in (self.cluster(cid) for cid in ids) if view is not None]

    def membership(self) -> dict[str, tuple[str, bool]]:
        """record id -> (cluster id, canonical) for every clustered record."""
        with self.store.engine.connect() as conn:
            return {
                r.record_id: (r.cluster_id, bool(r.canonical))
                for r in conn.execute(sa.select(dup_members))
            }

    def sources_of(self, record_ids: Iterable[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self.store.engine.connect() as conn:
            for chunk in _chunks(list(record_ids)):
                stmt = sa.select(dup_fingerprints.c.record_id, dup_fingerprints.c.source_id)
                for row in conn.execute(stmt.where(dup_fingerprints.c.record_id.in_(chunk))):
                    out[row.record_id] = row.source_id
        return out

    def counts_by_source(self) -> dict[str, int]:
        stmt = sa.select(dup_fingerprints.c.source_id, sa.func.count()).group_by(
            dup_fingerprints.c.source_id
        )
        with self.store.engine.connect() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(stmt)}

    def decisions(self) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(dup_decisions).order_by(dup_decisions.c.id))
            return [dict(r._mapping) for r in rows]

    # -- internals -------------------------------------------------------------------------

    def _cluster_mates(self, conn: sa.Connection, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        mates: set[str] = set()
        for chunk in _chunks(ids):
            cids = sa.select(dup_members.c.cluster_id).where(dup_members.c.record_id.in_(chunk))
            mates.update(
                conn.scalars(
                    sa.select(dup_members.c.record_id).where(dup_members.c.cluster_id.in_(cids))
                )
            )
        return mates

    def _forget(self, conn: sa.Connection, ids: list[str]) -> None:
        for chunk in _chunks(ids):
            conn.execute(dup_pairs.delete().where(dup_pairs.c.a.in_(chunk)))
            conn.execute(dup_pairs.delete().where(dup_pairs.c.b.in_(chunk)))
            for table in (dup_bands, dup_keys, dup_fingerprints):
                conn.execute(table.delete().where(table.c.record_id.in_(chunk)))

    def _insert(self, conn: sa.Connection, fps: list[Fingerprint]) -> None:
        if not fps:
            return
        rows = []
        keys: list[tuple[str, ...]] = []
        bands: list[tuple[str, ...]] = []
        for fp in fps:
            body, sig = _dump(fp)
            rows.append(
                {"record_id": fp.record_id, "source_id": fp.source_id, "body": body}
                | {"signature": sig}
            )
            keys += [(k, fp.record_id, fp.source_id) for k in fp.keys]
            bands += [(b, fp.record_id) for b in fp.bands]
        conn.execute(dup_fingerprints.insert(), rows)
        _bulk_insert(conn, "dup_keys", ("key", "record_id", "source_id"), keys)
        _bulk_insert(conn, "dup_bands", ("band", "record_id"), bands)

    def _candidates(
        self, conn: sa.Connection, fps: dict[str, Fingerprint]
    ) -> tuple[dict[str, set[str]], dict[str, Fingerprint]]:
        """For each changed record, the stored records sharing a key or a band with it
        (buckets larger than MAX_BUCKET are boilerplate and ignored, as in find_pairs)."""
        by_bucket: dict[str, set[str]] = {}
        wanted_keys = {k for fp in fps.values() for k in fp.keys}
        wanted_bands = {b for fp in fps.values() for b in fp.bands}
        for chunk in _chunks(sorted(wanted_keys)):
            stmt = sa.select(dup_keys.c.key, dup_keys.c.record_id).where(dup_keys.c.key.in_(chunk))
            for row in conn.execute(stmt):
                by_bucket.setdefault("k" + row.key, set()).add(row.record_id)
        for chunk in _chunks(sorted(wanted_bands)):
            stmt = sa.select(dup_bands.c.band, dup_bands.c.record_id).where(
                dup_bands.c.band.in_(chunk)
            )
            for row in conn.execute(stmt):
                by_bucket.setdefault(row.band, set()).add(row.record_id)
        for rid, fp in fps.items():  # the page's records are candidates of each other too
            for bucket in [*("k" + k for k in fp.keys), *fp.bands]:
                by_bucket.setdefault(bucket, set()).add(rid)
        out: dict[str, set[str]] = {}
        for rid, fp in fps.items():
            found: set[str] = set()
            for bucket in [*("k" + k for k in fp.keys), *fp.bands]:
                holders = by_bucket.get(bucket, set())
                if len(holders) <= MAX_BUCKET:
                    found |= holders
            found.discard(rid)
            out[rid] = found
        loaded = self._fingerprints(conn, {i for s in out.values() for i in s} - set(fps))
        return out, loaded

    def _fingerprints(self, conn: sa.Connection, ids: Iterable[str]) -> dict[str, Fingerprint]:
        out: dict[str, Fingerprint] = {}
        for chunk in _chunks(sorted(ids)):
            stmt = sa.select(dup_fingerprints.c.body, dup_fingerprints.c.signature)
            for row in conn.execute(stmt.where(dup_fingerprints.c.record_id.in_(chunk))):
                fp = _load(row.body, bytes(row.signature))
                out[fp.record_id] = fp
        return out

    def _ambiguous(self, conn: sa.Connection, keys: set[str]) -> set[str]:
        """Link keys held by two records of one source (see clusters.ambiguous_keys)."""
        out: set[str] = set()
        for chunk in _chunks(sorted(k for k in keys if k.startswith(LINK_KEYS))):
            stmt = (
                sa.select(dup_keys.c.key)
                .where(dup_keys.c.key.in_(chunk))
                .group_by(dup_keys.c.key, dup_keys.c.source_id)
                .having(sa.func.count() > 1)
            )
            out.update(conn.scalars(stmt))
        return out

    def _recluster(self, conn: sa.Connection, ids: set[str]) -> int:
        """Recompute the clusters of `ids` from the stored pairs and decisions. `ids` must
        be closed under cluster membership (callers add each record's cluster mates)."""
        if not ids:
            return 0
        self._note(ids)
        pairs: list[Pair] = []
        apart: list[tuple[str, str]] = []
        pinned: set[str] = set()
        for chunk in _chunks(sorted(ids)):
            for p in conn.execute(sa.select(dup_pairs).where(dup_pairs.c.a.in_(chunk))):
                if p.b in ids:
                    pairs.append(Pair(p.a, p.b, p.kind, p.detail, p.score))
            for d in conn.execute(
                sa.select(dup_decisions).where(dup_decisions.c.record_id.in_(chunk))
            ):
                if d.kind == "apart" and d.other_id:
                    apart.append((d.record_id, d.other_id))
                elif d.kind == "pin":
                    pinned.add(d.record_id)
        groups = build_clusters(pairs, apart)
        fps = self._fingerprints(conn, {m for g in groups for m in g})
        for chunk in _chunks(sorted(ids)):
            conn.execute(dup_members.delete().where(dup_members.c.record_id.in_(chunk)))
        rows = []
        for group in groups:
            members = [fps[m] for m in group if m in fps]
            canonical = choose_canonical(members, self.settings.source_priority, pinned)
            rows += [
                {"record_id": m, "cluster_id": group[0], "canonical": m == canonical} for m in group
            ]
        if rows:
            conn.execute(dup_members.insert(), rows)
        return len(ids)


def _bulk_insert(
    conn: sa.Connection, table: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]
) -> None:
    """executemany straight to the driver: 32 band postings per record make SQLAlchemy's
    per-row parameter handling the largest cost of an update. Plain strings only, in the
    driver's positional style (`?` for sqlite3, `%s` for psycopg)."""
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, rows)


def _unique(pairs: list[Pair]) -> list[Pair]:
    seen: dict[tuple[str, str], Pair] = {}
    for p in pairs:
        seen.setdefault((p.a, p.b), p)
    return list(seen.values())
