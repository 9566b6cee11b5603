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

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from indexer.backends.base import SearchBackend
from indexer.store import Store
from indexer.store.retirement import RetirementBatch
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
    with store.retirement_batch() as batch:
        missing = batch.mark_missing(source, report.run_id, now)
        cutoff = now - timedelta(days=policy.grace_days)
        due = batch.past_grace(source, report.run_id, policy.grace_runs, cutoff)
        if not due:
            return RetirementResult(Verdict.NOTHING, missing=missing)
        active = batch.active_count(source)
        if len(due) > policy.breaker_share * active:
            review_id = batch.hold(source, report.run_id, due, active, now)
            reason = (
                f"{len(due)} of {active} records would be retired, more than "
                f"{policy.breaker_share:.0%}; review {review_id} waits for an admin"
            )
            logger.warning("%s: circuit breaker: %s", source, reason)
            return RetirementResult(Verdict.HELD, missing, review_id=review_id, reason=reason)
        batch.retire(source, report.run_id, due, now, "missing from the source")
    backend.delete(due)
    logger.info("%s: retired %d records missing from the source", source, len(due))
    return RetirementResult(Verdict.RETIRED, missing, retired=due)


def _pending(batch: RetirementBatch, review_id: int) -> dict[str, Any]:
    """The review, if it still waits for a decision."""
    review = batch.review(review_id)
    if review is None:
        raise NotFound(f"no retirement review {review_id}")
    if review["status"] != "pending":
        raise Conflict(f"retirement review {review_id} was already {review['status']}")
    return review


def approve_review(store: Store, backend: SearchBackend, review_id: int) -> list[str]:
    """Retire the held records that are still missing (some may have come back since)."""
    now = _now()
    with store.retirement_batch() as batch:
        review = _pending(batch, review_id)
        ids = batch.still_missing(review["record_ids"])
        batch.retire(
            review["source_id"], review["run_id"], ids, now, f"approved in review {review_id}"
        )
        batch.decide(review_id, "approved", now)
    backend.delete(ids)
    return ids


def reject_review(store: Store, review_id: int) -> None:
    """Keep the records: their grace period starts again."""
    now = _now()
    with store.retirement_batch() as batch:
        review = _pending(batch, review_id)
        batch.forgive(review["record_ids"])
        batch.decide(review_id, "rejected", now)


def reviews(store: Store, status: str | None = "pending") -> list[dict[str, Any]]:
    """Retirement reviews with that status (all for None), newest first."""
    return store.retirement_reviews(status)


def retired_records(
    store: Store, source_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    return store.retired_records(source_id, limit)


def record_history(store: Store, record_id: str) -> dict[str, Any]:
    """Lifecycle of one record, retired or not: first/last seen and every event."""
    history = store.record_lifecycle(record_id)
    if history is None:
        raise NotFound(f"no record with id {record_id!r}")
    return history
