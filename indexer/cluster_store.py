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

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
from indexer.fingerprints import Fingerprint, MatchParams, compare, fingerprint, with_bands
from indexer.store import Store
from indexer.store.clusters import ClusterBatch
from moisson.config import DuplicatesSettings
from moisson.errors import NotFound
from moisson.record import PUBLIC, ClusterMember, Collapse, Record

__all__ = ["ClusterStore", "ClusterView", "UpdateReport"]

logger = logging.getLogger(__name__)


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


def _known_or_new(record: Record, known: Mapping[str, Fingerprint]) -> Fingerprint:
    found = known.get(record.id)
    if found is not None and found.source_id == record.provenance.source_id:
        return found
    return fingerprint(record)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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
        self.store.open_cluster_tables()
        return self

    # -- writing ---------------------------------------------------------------------------

    def update(
        self, records: Sequence[Record], known: Mapping[str, Fingerprint] | None = None
    ) -> UpdateReport:
        """Re-fingerprint `records` (new or changed), re-match them, rebuild the clusters
        they were in or now join. Nothing else is read or written. `known` holds
        fingerprints already computed from these very records (by a harvest worker,
        pipeline/page_workers.py), used instead of computing them again."""
        report = UpdateReport()
        if not records:
            return report
        known = known or {}
        fps = {r.id: _known_or_new(r, known) for r in records}
        report.fingerprinted = len(fps)
        with_bands(fps.values())  # the page's band keys in one numpy expression
        with self.store.cluster_batch() as batch:
            clustered = batch.mates(fps)  # the page's records in a cluster, and their mates
            affected = set(fps) | clustered
            batch.forget(list(fps))
            # before our own postings exist
            others, loaded, key_holders = self._candidates(batch, fps)
            batch.add_fingerprints(list(fps.values()))
            found: list[Pair] = []
            related: list[Pair] = []
            ambiguous = _held_twice_in_a_source(key_holders, fps)
            for rid, candidate_ids in others.items():
                mine = fps[rid]
                for other_id in sorted(candidate_ids):
                    other = fps.get(other_id) or loaded.get(other_id)
                    if other is None:
                        continue  # a posting whose fingerprint is gone: nothing to compare
                    if other_id in fps and other_id < rid:
                        continue  # both changed: compared once, from the smaller id
                    report.compared += 1
                    a = without_keys(mine, ambiguous)
                    verdict = compare(a, without_keys(other, ambiguous), self.params)
                    if verdict.same:
                        found.append(Pair.of(rid, other_id, verdict.kind, verdict.detail, 1.0))
                    elif verdict.kind == "related":
                        related.append(Pair.of(rid, other_id, "related", verdict.detail, 0.0))
            batch.add_related(related)
            batch.add_pairs(_unique(found))
            report.pairs = len(_unique(found))
            partners = {p.a for p in found} | {p.b for p in found}
            joined = partners | batch.mates(partners)
            affected |= joined
            # A record of the page in no cluster before and in no pair now stays alone:
            # nothing of it to rebuild (on a first harvest, most of the page).
            self._note(affected)
            self._recluster(batch, clustered | joined)
            report.reclustered = len(affected)
            report.affected = affected
        for name in ("fingerprinted", "compared", "pairs", "reclustered"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(report, name))
        logger.info("clusters: %s", report)
        return report

    def remove(self, record_ids: Sequence[str]) -> int:
        """Forget records (retired or deleted) and rebuild the clusters they were in."""
        with self.store.cluster_batch() as batch:
            mates = batch.mates(set(record_ids)) - set(record_ids)
            batch.forget(list(record_ids))
            batch.drop_members(list(record_ids))
            return self._recluster(batch, mates)

    def rebuild(self, records: Iterable[Record]) -> UpdateReport:
        """Recompute every fingerprint, pair and cluster (decisions are kept)."""
        fps = [fingerprint(r) for r in records]
        related: list[Pair] = []
        pairs, compared = find_pairs(fps, self.params, related=related)
        with self.store.cluster_batch() as batch:
            self._note(batch.clustered_ids())  # old clusters
            batch.clear()
            batch.add_fingerprints(fps)
            batch.add_related(related)
            batch.add_pairs(pairs)
            reclustered = self._recluster(batch, {p.a for p in pairs} | {p.b for p in pairs})
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
        with self.store.cluster_batch() as batch:
            batch.set_apart(sorted(moving), staying, _now(), note)
            self._recluster(batch, set(cluster.members))
        return [v for v in (self.cluster_of(m) for m in sorted(moving)[:1] + staying[:1]) if v]

    def pin(self, record_id: str, note: str | None = None) -> ClusterView:
        """Make `record_id` the canonical member of its cluster, now and after re-harvests."""
        cluster = self.cluster_of(record_id)
        if cluster is None:
            raise NotFound(f"record {record_id!r} is in no cluster")
        with self.store.cluster_batch() as batch:
            batch.pin(record_id, cluster.members, _now(), note)
            self._recluster(batch, set(cluster.members))
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
        with self.store.cluster_reading() as batch:
            clustered = batch.clusters_of(ids)
            everyone = sorted({m for members in clustered.values() for m, _ in members})
            fps = batch.fingerprints(everyone)
            origin = batch.origins(everyone)
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

    def related(self, record_ids: Iterable[str]) -> list[Pair]:
        """Related-but-distinct pairs touching any of `record_ids` (see dup_related)."""
        with self.store.cluster_reading() as batch:
            return batch.related_of(record_ids)

    def cluster_of(self, record_id: str) -> ClusterView | None:
        with self.store.cluster_reading() as batch:
            cid = batch.cluster_id_of(record_id)
        return self.cluster(cid) if cid else None

    def cluster(self, cluster_id: str) -> ClusterView | None:
        with self.store.cluster_reading() as batch:
            rows = batch.cluster_rows(cluster_id)
            if not rows:
                return None
            ids = [record_id for record_id, _ in rows]
            pairs = batch.pairs_within(ids)
        canonical = next(record_id for record_id, is_canonical in rows if is_canonical)
        return ClusterView(cluster_id, canonical, ids, pairs)

    def clusters(self, source_id: str | None = None) -> list[ClusterView]:
        """Every cluster, or those with a member from `source_id`."""
        with self.store.cluster_reading() as batch:
            ids = batch.cluster_ids(source_id)
        return [view for view in (self.cluster(cid) for cid in ids) if view is not None]

    def membership(self) -> dict[str, tuple[str, bool]]:
        """record id -> (cluster id, canonical) for every clustered record."""
        with self.store.cluster_reading() as batch:
            return batch.membership()

    def sources_of(self, record_ids: Iterable[str]) -> dict[str, str]:
        with self.store.cluster_reading() as batch:
            return batch.sources_of(record_ids)

    def counts_by_source(self) -> dict[str, int]:
        with self.store.cluster_reading() as batch:
            return batch.fingerprint_counts()

    def decisions(self) -> list[dict[str, Any]]:
        with self.store.cluster_reading() as batch:
            return batch.decisions()

    # -- internals -------------------------------------------------------------------------

    def _candidates(
        self, batch: ClusterBatch, fps: dict[str, Fingerprint]
    ) -> tuple[dict[str, set[str]], dict[str, Fingerprint], dict[str, dict[str, str]]]:
        """For each changed record, the stored records sharing a key or a band with it
        (buckets larger than MAX_BUCKET are boilerplate and ignored, as in find_pairs); the
        stored candidates' fingerprints; and the stored holders of the page's strong keys
        (key -> {record id: source id})."""
        by_bucket: dict[str | int, set[str]] = {}
        wanted_keys = {k for fp in fps.values() for k in fp.keys}
        wanted_bands = {b for fp in fps.values() for b in fp.bands}
        key_holders = batch.key_holders(wanted_keys)
        for key, holders in key_holders.items():
            by_bucket.setdefault("k" + key, set()).update(holders)
        for band, holders in batch.band_holders(wanted_bands).items():
            by_bucket.setdefault(band, set()).update(holders)
        buckets: dict[str, list[str | int]] = {
            rid: [*("k" + k for k in fp.keys), *fp.bands] for rid, fp in fps.items()
        }
        # Most buckets hold one record alone: only those held by a stored record or by two
        # of the page's (candidates of each other) are looked at, found by set operations.
        on_page: Counter[str | int] = Counter(b for held in buckets.values() for b in held)
        shared = {bucket for bucket, count in on_page.items() if count > 1}
        shared |= by_bucket.keys()
        mine = {rid: shared.intersection(held) for rid, held in buckets.items()}
        for rid, held in mine.items():
            for bucket in held:
                by_bucket.setdefault(bucket, set()).add(rid)
        out: dict[str, set[str]] = {}
        for rid, held in mine.items():
            found: set[str] = set()
            for bucket in held:
                holders = by_bucket[bucket]
                if len(holders) <= MAX_BUCKET:
                    found |= holders
            found.discard(rid)
            out[rid] = found
        loaded = batch.fingerprints({i for s in out.values() for i in s} - set(fps))
        return out, loaded, key_holders

    def _recluster(self, batch: ClusterBatch, ids: set[str]) -> int:
        """Recompute the clusters of `ids` from the stored pairs and decisions. `ids` must
        be closed under cluster membership (callers add each record's cluster mates)."""
        if not ids:
            return 0
        self._note(ids)
        pairs = [p for p in batch.pairs_from(ids) if p.b in ids]
        apart: list[tuple[str, str]] = []
        pinned: set[str] = set()
        for d in batch.decisions_on(ids):
            if d["kind"] == "apart" and d["other_id"]:
                apart.append((d["record_id"], d["other_id"]))
            elif d["kind"] == "pin":
                pinned.add(d["record_id"])
        groups = build_clusters(pairs, apart)
        fps = batch.fingerprints({m for g in groups for m in g})
        batch.drop_members(sorted(ids))
        rows: list[tuple[str, str, bool]] = []
        for group in groups:
            members = [fps[m] for m in group if m in fps]
            canonical = choose_canonical(members, self.settings.source_priority, pinned)
            rows += [(m, group[0], m == canonical) for m in group]
        batch.add_members(rows)
        return len(ids)


def _held_twice_in_a_source(
    stored: Mapping[str, Mapping[str, str]], fps: Mapping[str, Fingerprint]
) -> set[str]:
    """The link keys of the page that two records of one source hold, counting the stored
    holders (`stored`: key -> {record id: source id}, the page's records forgotten) and the
    page's own records: such a key does not identify a dataset (clusters.ambiguous_keys)."""
    holders: Counter[tuple[str, str]] = Counter()
    for fp in fps.values():
        holders.update((key, fp.source_id) for key in fp.keys if key.startswith(LINK_KEYS))
    for key in {key for key, _source in holders}:
        holders.update((key, source) for source in stored.get(key, {}).values())
    return {key for (key, _source), count in holders.items() if count > 1}


def _unique(pairs: list[Pair]) -> list[Pair]:
    seen: dict[tuple[str, str], Pair] = {}
    for p in pairs:
        seen.setdefault((p.a, p.b), p)
    return list(seen.values())
