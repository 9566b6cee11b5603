"""Clusters of duplicate records: pure functions over Fingerprints and confirmed pairs.

- `find_pairs` finds candidate pairs through shared strong keys and shared LSH band keys
  (sub-quadratic: only records in the same bucket are compared) and confirms each with
  `fingerprints.compare`.
- `build_clusters` is a union-find over confirmed pairs that honours admin `apart`
  decisions (two records an admin split never end up in one cluster, however many pairs
  link them), strongest evidence first.
- `choose_canonical` picks the authoritative member: an admin pin, else the first source
  of `source_priority`, then the most complete record, then the freshest, then the id.

Persistence and incremental updates are in indexer/cluster_store.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from indexer.fingerprints import (
    LINK_KEY_PREFIXES,
    Fingerprint,
    MatchParams,
    band_hashes,
    compare,
)

__all__ = [
    "LINK_KEYS",
    "Pair",
    "UnionFind",
    "ambiguous_keys",
    "build_clusters",
    "choose_canonical",
    "find_pairs",
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
    candidates: set[tuple[int, int]] = set()

    def add(members: Sequence[int]) -> None:
        if 2 <= len(members) <= MAX_BUCKET:
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    candidates.add((members[x], members[y]))

    keyed: dict[str, list[int]] = defaultdict(list)
    for i, fp in enumerate(fingerprints):
        for key in fp.keys - ignored:
            keyed[key].append(i)
    for members in keyed.values():
        add(members)
    if fingerprints:
        hashes = band_hashes(np.stack([fp.signature for fp in fingerprints]))
        for band in range(hashes.shape[1]):
            column = hashes[:, band]
            order = np.argsort(column, kind="stable")
            ranked = column[order]
            starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
            sizes = np.diff(np.r_[starts, len(ranked)])
            shared = sizes > 1
            for start, size in zip(starts[shared].tolist(), sizes[shared].tolist(), strict=True):
                add(sorted(order[start : start + size].tolist()))
    pairs = []
    for i, j in candidates:
        a, b = without_keys(fingerprints[i], ignored), without_keys(fingerprints[j], ignored)
        verdict = compare(a, b, params)
        if verdict.same:
            pairs.append(Pair.of(a.record_id, b.record_id, verdict.kind, verdict.detail, 1.0))
        elif verdict.kind == "related" and related is not None:
            related.append(Pair.of(a.record_id, b.record_id, "related", verdict.detail, 0.0))
    return pairs, len(candidates)


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


def choose_canonical(
    members: Sequence[Fingerprint],
    source_priority: Sequence[str] = (),
    pinned: set[str] | frozenset[str] = frozenset(),
) -> str:
    """The authoritative member's id; see the module docstring for the order."""
    return rank_members(members, source_priority, pinned)[0]


def rank_members(
    members: Sequence[Fingerprint],
    source_priority: Sequence[str] = (),
    pinned: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """Member ids, best first, by the canonical order of the module docstring (the
    collapsed search shows the first one a caller may see)."""
    rank = {source: i for i, source in enumerate(source_priority)}

    def key(fp: Fingerprint) -> tuple[bool, int, int, str, str]:
        # freshness is an ISO date: invert it so that the latest sorts first
        fresh = "".join(chr(0x7F - ord(c)) for c in fp.freshness) if fp.freshness else "\x7f"
        return (
            fp.record_id not in pinned,
            rank.get(fp.source_id, len(rank)),
            -fp.completeness,
            fresh,
            fp.record_id,
        )

    return [fp.record_id for fp in sorted(members, key=key)]
