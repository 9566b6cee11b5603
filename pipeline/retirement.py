"""Retiring records that disappeared from their source, without ever losing data.

A harvest that deletes half the catalogue because the server sent an error page, or stopped
at page 3, is worse than none. So a record is retired only when all of these hold:

1. the run was complete (no error, no paging anomaly, received at least what the server
   declared) and full (no `since`: an incremental run does not list unchanged records);
2. the record has been missing from at least `retirement.grace_runs` such runs in a row and
   for at least `retirement.grace_days` days;
3. the circuit breaker does not trip: when more than `retirement.breaker_share` of the
   source's active records would go at once, nothing is retired and a pending review waits
   for an admin (`approve_review` / `reject_review`); search keeps serving the last known
   good state meanwhile.

Retired records stay in the store (hidden from search and from re-indexing, listed for
admins) with a `retired` event; if they reappear, Store.write_page revives them and logs a
`revived` event, keeping first_seen and the rest of their history.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from indexer.backends.base import SearchBackend
from indexer.store import Store
from indexer.store_schema import harvest_runs, record_events, records, retirement_reviews
from moisson.config import RetirementSettings
from moisson.errors import Conflict, NotFound
from pipeline.runs import RunReport, RunStatus

__all__ = [
    "RetirementResult",
    "Verdict",
    "apply_run",
    "approve_review",
    "record_history",
    "reject_review",
    "retired_records",
    "reviews",
]

logger = logging.getLogger(__name__)


class Verdict(StrEnum):
    NOT_ELIGIBLE = "not-eligible"  # partial, failed or incremental run: nothing touched
    NOTHING = "nothing"  # eligible, no record past its grace period
    RETIRED = "retired"
    HELD = "held"  # breaker tripped: waiting for an admin


@dataclass
class RetirementResult:
    verdict: Verdict
    missing: int = 0  # active records this run did not see
    retired: list[str] = field(default_factory=list)
    review_id: int | None = None
    reason: str = ""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def apply_run(
    store: Store,
    backend: SearchBackend,
    policy: RetirementSettings,
    report: RunReport,
    *,
    now: datetime | None = None,
) -> RetirementResult:
    """After a run: count who is missing, retire what is past its grace, or hold it."""
    if report.status is not RunStatus.COMPLETE:
        return RetirementResult(Verdict.NOT_ELIGIBLE, reason=f"run {report.status.value}")
    if report.since is not None:
        return RetirementResult(Verdict.NOT_ELIGIBLE, reason="incremental run")
    if report.declared_total is not None and report.seen < report.declared_total:
        return RetirementResult(Verdict.NOT_ELIGIBLE, reason="fewer records than declared")
    now = now or _now()
    source = report.source_id
    absent = sa.and_(
        records.c.source_id == source,
        records.c.retired.is_(None),
        sa.or_(records.c.seen_run.is_(None), records.c.seen_run != report.run_id),
    )
    with store.engine.begin() as conn:
        missing = conn.execute(
            records.update()
            .where(absent)
            .values(
                missing_runs=records.c.missing_runs + 1,
                missing_since=sa.func.coalesce(records.c.missing_since, now),
            )
        ).rowcount
        cutoff = now - timedelta(days=policy.grace_days)
        due = list(
            conn.scalars(
                sa.select(records.c.id)
                .where(
                    absent,
                    records.c.missing_runs >= policy.grace_runs,
                    records.c.missing_since <= cutoff,
                )
                .order_by(records.c.id)
            )
        )
        if not due:
            return RetirementResult(Verdict.NOTHING, missing=missing)
        active = int(
            conn.scalar(
                sa.select(sa.func.count())
                .select_from(records)
                .where(records.c.source_id == source, records.c.retired.is_(None))
            )
            or 0
        )
        if len(due) > policy.breaker_share * active:
            review_id = _hold(conn, source, report.run_id, due, active, now)
            reason = (
                f"{len(due)} of {active} records would be retired, more than "
                f"{policy.breaker_share:.0%}; review {review_id} waits for an admin"
            )
            logger.warning("%s: circuit breaker: %s", source, reason)
            return RetirementResult(Verdict.HELD, missing, review_id=review_id, reason=reason)
        _retire(conn, source, report.run_id, due, now, "missing from the source")
    backend.delete(due)
    logger.info("%s: retired %d records missing from the source", source, len(due))
    return RetirementResult(Verdict.RETIRED, missing, retired=due)


def _hold(
    conn: sa.Connection, source: str, run_id: int, due: list[str], active: int, now: datetime
) -> int:
    """One pending review per source: a newer run replaces the list of the pending one."""
    values = {
        "run_id": run_id,
        "created": now,
        "candidates": len(due),
        "active": active,
        "record_ids": json.dumps(due),
    }
    pending = conn.scalar(
        sa.select(retirement_reviews.c.id).where(
            retirement_reviews.c.source_id == source, retirement_reviews.c.status == "pending"
        )
    )
    if pending is not None:
        conn.execute(
            retirement_reviews.update().where(retirement_reviews.c.id == pending).values(values)
        )
        return int(pending)
    result = conn.execute(
        retirement_reviews.insert().values(source_id=source, status="pending", **values)
    )
    return int(result.inserted_primary_key[0])


def _retire(
    conn: sa.Connection, source: str, run_id: int | None, ids: list[str], now: datetime, why: str
) -> None:
    if not ids:
        return
    conn.execute(records.update().where(records.c.id.in_(ids)).values(retired=now))
    conn.execute(
        record_events.insert(),
        [
            {
                "record_id": rid,
                "source_id": source,
                "run_id": run_id,
                "event": "retired",
                "at": now,
                "detail": why,
            }
            for rid in ids
        ],
    )
    if run_id is not None:
        conn.execute(
            harvest_runs.update()
            .where(harvest_runs.c.id == run_id)
            .values(retired=harvest_runs.c.retired + len(ids))
        )


def _pending(conn: sa.Connection, review_id: int) -> Any:
    row = conn.execute(
        sa.select(retirement_reviews).where(retirement_reviews.c.id == review_id)
    ).first()
    if row is None:
        raise NotFound(f"no retirement review {review_id}")
    if row.status != "pending":
        raise Conflict(f"retirement review {review_id} was already {row.status}")
    return row


def approve_review(store: Store, backend: SearchBackend, review_id: int) -> list[str]:
    """Retire the held records that are still missing (some may have come back since)."""
    now = _now()
    with store.engine.begin() as conn:
        row = _pending(conn, review_id)
        ids = list(
            conn.scalars(
                sa.select(records.c.id).where(
                    records.c.id.in_(json.loads(row.record_ids)),
                    records.c.retired.is_(None),
                    records.c.missing_runs > 0,
                )
            )
        )
        _retire(conn, row.source_id, row.run_id, ids, now, f"approved in review {review_id}")
        conn.execute(
            retirement_reviews.update()
            .where(retirement_reviews.c.id == review_id)
            .values(status="approved", decided=now)
        )
    backend.delete(ids)
    return ids


def reject_review(store: Store, review_id: int) -> None:
    """Keep the records: their grace period starts again."""
    now = _now()
    with store.engine.begin() as conn:
        row = _pending(conn, review_id)
        conn.execute(
            records.update()
            .where(records.c.id.in_(json.loads(row.record_ids)), records.c.retired.is_(None))
            .values(missing_runs=0, missing_since=None)
        )
        conn.execute(
            retirement_reviews.update()
            .where(retirement_reviews.c.id == review_id)
            .values(status="rejected", decided=now)
        )


def reviews(store: Store, status: str | None = "pending") -> list[dict[str, Any]]:
    stmt = sa.select(retirement_reviews).order_by(retirement_reviews.c.id.desc())
    if status is not None:
        stmt = stmt.where(retirement_reviews.c.status == status)
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        row["record_ids"] = json.loads(row["record_ids"])
    return rows


def retired_records(
    store: Store, source_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    stmt = (
        sa.select(
            records.c.id,
            records.c.source_id,
            records.c.original_id,
            records.c.retired,
            records.c.missing_since,
            records.c.last_seen,
        )
        .where(records.c.retired.is_not(None))
        .order_by(records.c.retired.desc(), records.c.id)
        .limit(limit)
    )
    if source_id is not None:
        stmt = stmt.where(records.c.source_id == source_id)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def record_history(store: Store, record_id: str) -> dict[str, Any]:
    """Lifecycle of one record, retired or not: first/last seen and every event."""
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(
                records.c.id,
                records.c.source_id,
                records.c.original_id,
                records.c.first_seen,
                records.c.last_seen,
                records.c.updated,
                records.c.retired,
                records.c.missing_runs,
                records.c.missing_since,
            ).where(records.c.id == record_id)
        ).first()
        if row is None:
            raise NotFound(f"no record with id {record_id!r}")
        events = [
            dict(e._mapping)
            for e in conn.execute(
                sa.select(
                    record_events.c.event,
                    record_events.c.at,
                    record_events.c.run_id,
                    record_events.c.detail,
                )
                .where(record_events.c.record_id == record_id)
                .order_by(record_events.c.id)
            )
        ]
    return {**dict(row._mapping), "events": events}
