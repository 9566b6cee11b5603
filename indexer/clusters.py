"""Clusters of duplicate records: pure functions over Fingerprints and confirmed pairs.

- `find_pairs` finds candidate pairs through shared strong keys and shared LSH band keys
  (sub-quadratic: only records in the same bucket are compared) and confirms each with
  `fingerprints.compare`.
- `build_clusters` is a union-find over confirmed pairs that honours admin `apart`
  decisions (two records an admin split never end up in one cluster, however many pairs
  link them), strongest evidence first.
- `choose_canonical` picks the authoritative member: an admin pin, else the first source
  of `source_priority`, then the producer's own copy (indexer/producer.py: republished
  copies are often more complete and fresher than the original), then the most complete
  record, then the freshest, then the id; `canonical_reason` says which rule decided.

Persistence and incremental updates are in indexer/cluster_store.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from indexer.fingerprints import (
    LINK_KEY_PREFIXES,
    Fingerprint,
    MatchParams,
    band_hashes,
    compare,
    completeness,
)
from indexer.producer import producer_evidence
from moisson.record import Record

__all__ = [
    "LINK_KEYS",
    "Pair",
    "RankFacts",
    "Rankable",
    "UnionFind",
    "ambiguous_keys",
    "build_clusters",
    "canonical_reason",
    "choose_canonical",
    "find_pairs",
    "rank_facts",
    "rank_members",
    "without_keys",
]

MAX_BUCKET = 200  # a band or key shared by more records than this is boilerplate, not a match


@dataclass(frozen=True)
class Pair:
    """A confirmed duplicate pair, a < b, with the evidence that joined it."""

    a: str
    b: str
    kind: str  # "key" | "similar"
    detail: str
    score: float

    @staticmethod
    def of(x: str, y: str, kind: str, detail: str, score: float) -> Pair:
        a, b = sorted((x, y))
        return Pair(a, b, kind, detail, score)


class UnionFind:
    """Disjoint sets with path halving and union by size."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.size: dict[str, int] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        if x not in parent:
            parent[x] = x
            self.size[x] = 1
            return x
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, x: str, y: str) -> str:
        rx, ry = self.find(x), self.find(y)
        if rx == ry:
            return rx
        if self.size[rx] < self.size[ry]:
            rx, ry = ry, rx
        self.parent[ry] = rx
        self.size[rx] += self.size[ry]
        return rx


# Keys taken from links. A resource identifier or DOI names one resource even when a
# catalogue holds two records of it (a GeoNetwork that harvests the national catalogue
# republishes regional records into the same source); a link can be shared by unrelated
# records of one publisher (a portal home page as landing page, a series' WMS layer).
LINK_KEYS = LINK_KEY_PREFIXES


def ambiguous_keys(fingerprints: Iterable[Fingerprint]) -> set[str]:
    """Link keys held by two records of one source: within a source such a key does not
    identify a dataset and must not join records (identifier keys always do)."""
    holders: dict[tuple[str, str], int] = defaultdict(int)
    for fp in fingerprints:
        for key in fp.keys:
            if key.startswith(LINK_KEYS):
                holders[(key, fp.source_id)] += 1
    return {key for (key, _source), n in holders.items() if n > 1}


def without_keys(fp: Fingerprint, ignored: set[str]) -> Fingerprint:
    """`fp` with the `ignored` (ambiguous) strong keys removed."""
    if not ignored or not (fp.keys & ignored):
        return fp
    return replace(fp, keys=fp.keys - ignored)


def find_pairs(
    fingerprints: Sequence[Fingerprint],
    params: MatchParams | None = None,
    *,
    related: list[Pair] | None = None,
) -> tuple[list[Pair], int]:
    """Confirmed pairs among `fingerprints`, and how many candidate pairs were compared.
    Pairs found related but distinct (`compare` kind "related") are appended to `related`
    when a list is given.

    Candidates: records sharing a strong key (dict buckets), or any LSH band (per band, the
    band hashes are sorted with numpy and runs of equal values are the buckets)."""
    ignored = ambiguous_keys(fingerprints)
    n = len(fingerprints)
    # Candidate pairs (i, j), i < j, as the one integer i * n + j: a set of ints costs a
    # third of a set of tuples, which matters at a million records.
    candidates: set[int] = set()

    def add(members: Sequence[int]) -> None:
        if 2 <= len(members) <= MAX_BUCKET:
            for x in range(len(members)):
                base = members[x] * n
                candidates.update(base + members[y] for y in range(x + 1, len(members)))

    keyed: dict[str, list[int]] = defaultdict(list)
    for i, fp in enumerate(fingerprints):
        for key in fp.keys - ignored:
            keyed[key].append(i)
    for members in keyed.values():
        add(members)
    del keyed
    if fingerprints:
        hashes = _band_hashes_of(fingerprints)
        for band in range(hashes.shape[1]):
            column = hashes[:, band]
            order = np.argsort(column, kind="stable")
            ranked = column[order]
            starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
            sizes = np.diff(np.r_[starts, len(ranked)])
            shared = (sizes > 1) & (sizes <= MAX_BUCKET)
            for start, size in zip(starts[shared].tolist(), sizes[shared].tolist(), strict=True):
                add(sorted(order[start : start + size].tolist()))
            del column, order, ranked, starts, sizes, shared
    pairs = []
    for code in candidates:
        i, j = divmod(code, n)
        a, b = without_keys(fingerprints[i], ignored), without_keys(fingerprints[j], ignored)
        verdict = compare(a, b, params)
        if verdict.same:
            pairs.append(Pair.of(a.record_id, b.record_id, verdict.kind, verdict.detail, 1.0))
        elif verdict.kind == "related" and related is not None:
            related.append(Pair.of(a.record_id, b.record_id, "related", verdict.detail, 0.0))
    return pairs, len(candidates)


_BAND_CHUNK = 65_536  # signatures banded at a time: no (n, NUM_PERM) uint64 copy at 1M


def _band_hashes_of(fingerprints: Sequence[Fingerprint]) -> np.ndarray:
    """(n, BANDS) band hashes, computed a chunk of signatures at a time."""
    first = band_hashes(fingerprints[0].signature.reshape(1, -1))
    hashes = np.empty((len(fingerprints), first.shape[1]), dtype=np.uint64)
    for start in range(0, len(fingerprints), _BAND_CHUNK):
        chunk = fingerprints[start : start + _BAND_CHUNK]
        hashes[start : start + len(chunk)] = band_hashes(np.stack([fp.signature for fp in chunk]))
    return hashes


def _strength(pair: Pair) -> tuple[int, float, str, str]:
    return (0 if pair.kind == "key" else 1, -pair.score, pair.a, pair.b)


def build_clusters(pairs: Iterable[Pair], apart: Iterable[tuple[str, str]] = ()) -> list[list[str]]:
    """Connected components (two records or more) of the confirmed pairs, never joining
    two records an admin set apart. Sorted members, clusters sorted by first member."""
    forbidden: dict[str, set[str]] = defaultdict(set)
    for x, y in apart:
        forbidden[x].add(y)
        forbidden[y].add(x)
    uf = UnionFind()
    members: dict[str, set[str]] = {}
    for pair in sorted(pairs, key=_strength):
        ra, rb = uf.find(pair.a), uf.find(pair.b)
        if ra == rb:
            continue
        left = members.setdefault(ra, {ra})
        right = members.setdefault(rb, {rb})
        if forbidden and any(forbidden.get(m, set()) & right for m in left):
            continue
        root = uf.union(ra, rb)
        members[root] = left | right
        members.pop(rb if root == ra else ra, None)
    return sorted(sorted(group) for group in members.values() if len(group) > 1)


class Rankable(Protocol):
    """What ranking needs of a member: a Fingerprint, or `RankFacts` from a record."""

    @property
    def record_id(self) -> str: ...
    @property
    def source_id(self) -> str: ...
    @property
    def completeness(self) -> int: ...
    @property
    def freshness(self) -> str: ...
    @property
    def producer(self) -> str: ...


@dataclass(frozen=True)
class RankFacts:
    record_id: str
    source_id: str
    completeness: int
    freshness: str
    producer: str


def rank_facts(record: Record) -> RankFacts:
    """A record's ranking facts, without the cost of a full Fingerprint (no MinHash)."""
    reference = record.reference_date()
    return RankFacts(
        record_id=record.id,
        source_id=record.provenance.source_id,
        completeness=completeness(record),
        freshness=reference.isoformat() if reference else "",
        producer=producer_evidence(record),
    )


def choose_canonical(
    members: Sequence[Rankable],
    source_priority: Sequence[str] = (),
    pinned: set[str] | frozenset[str] = frozenset(),
) -> str:
    """The authoritative member's id; see the module docstring for the order."""
    return rank_members(members, source_priority, pinned)[0]


def _rank_key(
    fp: Rankable, rank: dict[str, int], pinned: set[str] | frozenset[str]
) -> tuple[bool, int, bool, int, str, str]:
    # freshness is an ISO date: invert it so that the latest sorts first
    fresh = "".join(chr(0x7F - ord(c)) for c in fp.freshness) if fp.freshness else "\x7f"
    return (
        fp.record_id not in pinned,
        rank.get(fp.source_id, len(rank)),
        not fp.producer,
        -fp.completeness,
        fresh,
        fp.record_id,
    )


def rank_members(
    members: Sequence[Rankable],
    source_priority: Sequence[str] = (),
    pinned: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """Member ids, best first, by the canonical order of the module docstring (the
    collapsed search shows the first one a caller may see)."""
    rank = {source: i for i, source in enumerate(source_priority)}
    return [fp.record_id for fp in sorted(members, key=lambda fp: _rank_key(fp, rank, pinned))]


def canonical_reason(
    members: Sequence[Rankable], canonical: str, source_priority: Sequence[str] = ()
) -> str:
    """Why `canonical` is the copy a cluster shows, in words: the first rule of the
    canonical order that sets it before the next-best member (or an admin's pin, when the
    order alone would pick another)."""
    rank = {source: i for i, source in enumerate(source_priority)}
    by_id = {fp.record_id: fp for fp in members}
    chosen = by_id.get(canonical)
    if chosen is None or len(members) < 2:
        return "the only copy"
    ordered = sorted(members, key=lambda fp: _rank_key(fp, rank, frozenset()))
    if ordered[0].record_id != canonical:
        return "pinned by an admin"
    runner = ordered[1]
    if rank.get(chosen.source_id, len(rank)) < rank.get(runner.source_id, len(rank)):
        return f"its source {chosen.source_id} comes first in duplicates.source_priority"
    if chosen.producer and not runner.producer:
        return f"the producer's own copy: {chosen.producer}"
    if chosen.completeness > runner.completeness:
        return (
            f"the most complete copy ({chosen.completeness} fields filled in, "
            f"{runner.completeness} in the next)"
        )
    if chosen.freshness and chosen.freshness != runner.freshness:
        return f"the freshest copy ({chosen.freshness}, {runner.freshness or 'undated'} next)"
    return "all copies rank alike: the first by record id"
