"""Writing one harvested page: records, raw payloads, quarantine and the run's checkpoint,
in one transaction.

Records are upserted by (source id, original id), which the stable `Record.id` encodes. A
record whose content hash has not changed is not rewritten (only its `last_seen`), so a
second harvest of an unchanged catalogue writes no record and re-indexes nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from indexer.store.base import StoreBase, now
from indexer.store.records import load_record
from indexer.store.schema import harvest_runs, quarantine, raw_payloads, record_events, records
from moisson.record import Harvested, Outcome, Provenance, RawPayload, Record, record_id

__all__ = ["PageWrite", "PageWrites", "content_hash"]


@dataclass
class PageWrite:
    """What one page did to the store: outcome counts, and the records to (re)index."""

    outcomes: Counter[Outcome]
    changed: list[Record]


_LATER_FIELDS = ("maintenance_frequency",)


def content_hash(record: Record) -> str:
    """Hash of everything the source controls; provenance and themes are ours and excluded
    (a mapping change must not make an unchanged catalogue look updated)."""
    ours = {"provenance", "themes", "access"}
    # A field added to Record later is left out while empty, so adding it does not make
    # every stored record look updated on the next harvest.
    unset = {name for name in _LATER_FIELDS if getattr(record, name) is None}
    body = record.model_dump_json(exclude=ours | unset)
    return hashlib.sha256(body.encode()).hexdigest()


class PageWrites(StoreBase):
    """The harvest's write path: one call per page."""

    def write_page(
        self,
        run_id: int,
        source_id: str,
        items: Sequence[Harvested],
        *,
        cursor: str | None = None,
        declared_total: int | None = None,
    ) -> PageWrite:
        """Upsert one page in one transaction, with the run's counters and cursor, so a
        crash leaves either the whole page and its checkpoint or neither."""
        at = now()
        outcomes: Counter[Outcome] = Counter()
        raws: dict[str, dict[str, Any]] = {}
        candidates: dict[str, Record] = {}
        bad: list[dict[str, Any]] = []
        for item in items:
            sha = hashlib.sha256(item.raw).hexdigest()
            raws[sha] = {"sha256": sha, "content_type": item.content_type, "body": item.raw}
            if item.record is None:
                bad.append(
                    {
                        "run_id": run_id,
                        "source_id": source_id,
                        "original_id": item.original_id,
                        "reason": item.error or "unknown error",
                        "raw_sha256": sha,
                        "created": at,
                    }
                )
                continue
            record = item.record
            if record.provenance.source_id != source_id:
                record = record.model_copy(
                    update={
                        "provenance": record.provenance.model_copy(update={"source_id": source_id})
                    }
                )
            record.raw = RawPayload(sha256=sha, content_type=item.content_type)
            candidates[record.id] = record  # a page listing one record twice keeps the last
        outcomes[Outcome.QUARANTINED] = len(bad)

        with self.engine.begin() as conn:
            existing = (
                {
                    row.id: row
                    for row in conn.execute(
                        sa.select(
                            records.c.id,
                            records.c.content_hash,
                            records.c.first_seen,
                            records.c.retired,
                        ).where(records.c.id.in_(list(candidates)))
                    )
                }
                if candidates
                else {}
            )
            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            unchanged: list[str] = []
            changed: list[Record] = []
            revived: list[str] = []
            for rid, record in candidates.items():
                digest = content_hash(record)
                old = existing.get(rid)
                if old is not None and old.retired is not None:
                    revived.append(rid)
                if old is not None and old.content_hash == digest:
                    unchanged.append(rid)
                    if old.retired is not None:  # back in the index, as it was
                        changed.append(_load_in(conn, rid))
                    continue
                first_seen = old.first_seen if old is not None else at
                record.provenance = Provenance(
                    source_id=source_id,
                    original_id=record.provenance.original_id,
                    first_seen=first_seen,
                    last_seen=at,
                    harvest_run=run_id,
                    content_hash=digest,
                )
                row = {
                    "id": rid,
                    "source_id": source_id,
                    "original_id": record.provenance.original_id,
                    "content_hash": digest,
                    "body": record.model_dump_json(),
                    "first_seen": first_seen,
                    "last_seen": at,
                    "updated": at,
                    "harvest_run": run_id,
                }
                if old is None:  # seen by this run from the start: no second UPDATE below
                    row.update(seen_run=run_id, missing_runs=0, missing_since=None, retired=None)
                (updates if old is not None else inserts).append(row)
                changed.append(record)
            _insert_raws(conn, raws)
            if inserts:
                conn.execute(records.insert(), inserts)
            if updates:
                conn.execute(
                    records.update()
                    .where(records.c.id == sa.bindparam("b_id"))
                    .values(
                        content_hash=sa.bindparam("content_hash"),
                        body=sa.bindparam("body"),
                        last_seen=sa.bindparam("last_seen"),
                        updated=sa.bindparam("updated"),
                        harvest_run=sa.bindparam("harvest_run"),
                    ),
                    [{**u, "b_id": u["id"]} for u in updates],
                )
            if unchanged:
                conn.execute(
                    records.update().where(records.c.id.in_(unchanged)).values(last_seen=at)
                )
            if existing:
                # Seen by this run: no longer missing, and back from retirement if it was
                # (new rows were inserted so: a first harvest rewrites no row it just wrote).
                conn.execute(
                    records.update()
                    .where(records.c.id.in_(list(existing)))
                    .values(seen_run=run_id, missing_runs=0, missing_since=None, retired=None)
                )
            failing = [record_id(source_id, b["original_id"]) for b in bad if b["original_id"]]
            if failing:
                # Still at the source, only unreadable this time: the stored version stays
                # (and in search), and is not counted missing.
                conn.execute(
                    records.update()
                    .where(records.c.id.in_(failing), records.c.retired.is_(None))
                    .values(seen_run=run_id, missing_runs=0, missing_since=None)
                )
            if revived:
                conn.execute(
                    record_events.insert(),
                    [
                        {
                            "record_id": rid,
                            "source_id": source_id,
                            "run_id": run_id,
                            "event": "revived",
                            "at": at,
                            "detail": "present at the source again",
                        }
                        for rid in revived
                    ],
                )
            _resolve_quarantine(conn, source_id, candidates.values(), bad, at)
            if bad:
                conn.execute(quarantine.insert(), bad)
            outcomes[Outcome.NEW] = len(inserts)
            outcomes[Outcome.UPDATED] = len(updates)
            outcomes[Outcome.UNCHANGED] = len(unchanged)
            values: dict[str, Any] = {
                "pages": harvest_runs.c.pages + 1,
                "seen": harvest_runs.c.seen + len(items),
                "new": harvest_runs.c.new + len(inserts),
                "updated": harvest_runs.c.updated + len(updates),
                "unchanged": harvest_runs.c.unchanged + len(unchanged),
                "quarantined": harvest_runs.c.quarantined + len(bad),
                "cursor": cursor,
                "heartbeat": at,
            }
            if declared_total is not None:
                values["declared_total"] = declared_total
            conn.execute(harvest_runs.update().where(harvest_runs.c.id == run_id).values(values))
        return PageWrite(outcomes=outcomes, changed=changed)


def _load_in(conn: sa.Connection, rid: str) -> Record:
    row = conn.execute(
        sa.select(records.c.body, records.c.last_seen).where(records.c.id == rid)
    ).one()
    return load_record(row)


def _resolve_quarantine(
    conn: sa.Connection,
    source_id: str,
    valid: Iterable[Record],
    bad: list[dict[str, Any]],
    at: datetime,
) -> None:
    """A record that now parses resolves its open quarantine entries; a record that
    fails again supersedes its older entry, so the list shows each problem once."""
    ids = [r.provenance.original_id for r in valid]
    ids += [b["original_id"] for b in bad if b["original_id"] is not None]
    if not ids:
        return
    conn.execute(
        quarantine.update()
        .where(
            quarantine.c.source_id == source_id,
            quarantine.c.original_id.in_(ids),
            quarantine.c.resolved.is_(None),
        )
        .values(resolved=at)
    )


def _insert_raws(conn: sa.Connection, raws: dict[str, dict[str, Any]]) -> None:
    """Content-addressed: a payload already stored is not written again."""
    if not raws:
        return
    present = set(
        conn.scalars(sa.select(raw_payloads.c.sha256).where(raw_payloads.c.sha256.in_(raws)))
    )
    fresh = [row for sha, row in raws.items() if sha not in present]
    if fresh:
        conn.execute(raw_payloads.insert(), fresh)
