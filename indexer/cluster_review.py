"""The duplicate clusters an admin should look at first, and one cluster laid out for a
side-by-side comparison.

`review_queue` sums each cluster up (size, sources, when its newest copy arrived, and its
confidence: the weakest evidence that holds it together, 1.0 for a shared identifier, the
text similarity for a `similar` pair) and orders the queue one of three ways:

- `size`: largest first (one dataset copied everywhere is worth settling first);
- `recent`: the cluster whose newest copy arrived last first (what the last harvests made);
- `confidence`: lowest confidence first (the merges most likely to be wrong).

`comparison` lays the members of one cluster side by side, field by field, marking the
fields where the copies differ, so an admin can see at a glance why they were joined and
whether a split is due. Both read the ClusterStore and the Store only; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from indexer.cluster_store import ClusterStore, ClusterView
from indexer.store import Store
from moisson.record import Record

__all__ = [
    "REVIEW_ORDERS",
    "ClusterSummary",
    "ComparedField",
    "Comparison",
    "comparison",
    "review_queue",
    "shown_fields",
    "summarise",
]

ReviewOrder = Literal["size", "recent", "confidence"]
REVIEW_ORDERS: tuple[ReviewOrder, ...] = ("size", "recent", "confidence")


@dataclass(frozen=True)
class ClusterSummary:
    """One line of the review queue."""

    id: str
    canonical: str
    title: str  # the canonical copy's title ("" when it left the store)
    size: int
    sources: list[str]
    newest: datetime | None  # when the most recently harvested copy was first seen
    confidence: float  # weakest pair score: 1.0 shared identifier, else text similarity
    kinds: list[str]  # evidence kinds present: key, similar


def summarise(view: ClusterView, records: dict[str, Record]) -> ClusterSummary:
    """A cluster's summary from its view and its members' stored records (those missing
    from `records` have left the store since they were clustered)."""
    present = [records[m] for m in view.members if m in records]
    seen = [r.provenance.first_seen for r in present if r.provenance.first_seen is not None]
    canonical = records.get(view.canonical)
    return ClusterSummary(
        id=view.id,
        canonical=view.canonical,
        title=canonical.title if canonical is not None else "",
        size=len(view.members),
        sources=sorted({r.provenance.source_id for r in present}),
        newest=max(seen) if seen else None,
        confidence=min((p.score for p in view.pairs), default=1.0),
        kinds=sorted({p.kind for p in view.pairs}),
    )


def _sort_key(order: ReviewOrder, summary: ClusterSummary) -> tuple[float, float, str]:
    if order == "size":
        return (-summary.size, summary.confidence, summary.id)
    if order == "recent":
        newest = summary.newest.timestamp() if summary.newest else 0.0
        return (-newest, -summary.size, summary.id)
    return (summary.confidence, -summary.size, summary.id)


def review_queue(
    clusters: ClusterStore,
    store: Store,
    order: ReviewOrder = "size",
    source_id: str | None = None,
) -> list[ClusterSummary]:
    """Every cluster (or those with a member of `source_id`), summed up, in `order`."""
    if order not in REVIEW_ORDERS:
        raise ValueError(f"order must be one of {', '.join(REVIEW_ORDERS)}")
    views = clusters.clusters(source_id)
    records = {r.id: r for r in store.active({m for v in views for m in v.members})}
    summaries = [summarise(v, records) for v in views]
    return sorted(summaries, key=lambda s: _sort_key(order, s))


@dataclass(frozen=True)
class ComparedField:
    """One row of the side-by-side table: the field's value in each member, in member
    order, and whether the copies disagree on it."""

    name: str
    values: list[str]
    differs: bool


@dataclass
class Comparison:
    view: ClusterView
    members: list[Record]  # canonical first, then the others in cluster order
    missing: list[str] = field(default_factory=list)  # members no longer in the store
    fields: list[ComparedField] = field(default_factory=list)


def shown_fields(record: Record) -> dict[str, str]:
    """The fields compared side by side, as short text (also the message keys of their
    names in the workbench)."""
    bbox = record.bboxes[0] if record.bboxes else None
    dates = [
        f"{name} {value.isoformat()}"
        for name, value in (
            ("created", record.created),
            ("published", record.published),
            ("revised", record.revised),
        )
        if value is not None
    ]
    return {
        "source": record.provenance.source_id,
        "original_id": record.provenance.original_id,
        "title": record.title,
        "abstract": (record.abstract or "")[:400],
        "organisation": ", ".join(
            sorted({c.organisation for c in record.contacts if c.organisation})
        ),
        "keywords": ", ".join(k.label for k in record.keywords),
        "themes": ", ".join(sorted(t.id for t in record.themes)),
        "dates": ", ".join(dates),
        "bbox": (f"{bbox.west:g}, {bbox.south:g}, {bbox.east:g}, {bbox.north:g}" if bbox else ""),
        "formats": ", ".join(record.formats),
        "links": str(len(record.links)),
        "first_seen": (
            record.provenance.first_seen.isoformat(timespec="minutes")
            if record.provenance.first_seen
            else ""
        ),
    }


def comparison(view: ClusterView, store: Store) -> Comparison:
    """The members of `view` side by side, canonical first."""
    found = {r.id: r for r in store.active(view.members)}
    ordered = [view.canonical, *[m for m in view.members if m != view.canonical]]
    members = [found[m] for m in ordered if m in found]
    shown = [shown_fields(r) for r in members]
    names = list(shown[0]) if shown else []
    fields = [
        ComparedField(name, [s[name] for s in shown], len({s[name] for s in shown}) > 1)
        for name in names
    ]
    return Comparison(view, members, [m for m in ordered if m not in found], fields)
