"""The `moisson duplicates` report: clusters with their evidence, and how much each pair of
sources repeats the other."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from indexer.cluster_store import ClusterStore, ClusterView
from indexer.store import Store
from moisson.errors import NotFound

__all__ = ["SourceOverlap", "overlaps", "render"]


@dataclass(frozen=True)
class SourceOverlap:
    """Records of `a` that have a copy in `b` (and the reverse), with their shares."""

    a: str
    b: str
    in_a: int
    in_b: int
    share_a: float  # in_a / records of a
    share_b: float


def overlaps(
    clusters: list[ClusterView], sources: dict[str, str], totals: dict[str, int]
) -> list[SourceOverlap]:
    """Per pair of sources, the records of each that share a cluster with the other.
    `sources` maps record id -> source id; `totals` source id -> fingerprinted records."""
    shared: dict[tuple[str, str], tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for cluster in clusters:
        by_source: dict[str, set[str]] = defaultdict(set)
        for member in cluster.members:
            by_source[sources.get(member, "?")].add(member)
        for a, b in combinations(sorted(by_source), 2):
            left, right = shared[(a, b)]
            left |= by_source[a]
            right |= by_source[b]
        for a, members in by_source.items():  # copies inside one catalogue: the pair (a, a)
            if len(members) > 1:
                shared[(a, a)][0].update(members)
                shared[(a, a)][1].update(members)
    out = []
    for (a, b), (left, right) in sorted(shared.items()):
        out.append(
            SourceOverlap(
                a,
                b,
                len(left),
                len(right),
                len(left) / max(totals.get(a, 0), 1),
                len(right) / max(totals.get(b, 0), 1),
            )
        )
    return out


def render(store: Store, clusters: ClusterStore, source_id: str | None = None) -> list[str]:
    """Lines of the report, clusters first (canonical marked with *), then the overlaps."""
    views = clusters.clusters(source_id)
    sources = clusters.sources_of({m for v in views for m in v.members})
    lines = [f"{len(views)} clusters" + (f" with a record of {source_id}" if source_id else "")]
    for view in views:
        lines.append(f"cluster {view.id} ({len(view.members)} records)")
        for member in view.members:
            mark = "*" if member == view.canonical else " "
            try:
                record = store.get(member)
                label = f"{record.provenance.original_id}\t{record.title}"
            except NotFound:
                label = "(no longer in the store)"
            lines.append(f"  {mark} {member}\t{sources.get(member, '?')}\t{label}")
        for pair in view.pairs:
            lines.append(f"    {pair.a} = {pair.b}: {pair.kind} {pair.detail}")
    lines.append("duplicates per pair of sources:")
    found = overlaps(views, sources, clusters.counts_by_source())
    if not found:
        lines.append("  none")
    for o in found:
        if o.a == o.b:
            lines.append(f"  within {o.a}: {o.in_a} records ({o.share_a:.1%}) are copies")
            continue
        lines.append(
            f"  {o.a} / {o.b}: {o.in_a} of {o.a} ({o.share_a:.1%}) and "
            f"{o.in_b} of {o.b} ({o.share_b:.1%}) are copies of each other"
        )
    return lines
