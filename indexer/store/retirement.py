"""The SQL of retirement: missing counts, retirements, held reviews and record history.

The policy (when a record may go, the circuit breaker) is pipeline/retirement.py's; this
module only reads and writes the rows. A decision and its writes must see one state of
the table, so the writing steps run on a `RetirementBatch`: one transaction, committed when
the `with` block ends normally and rolled back if it raises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from indexer.store.base import StoreBase, new_id
from indexer.store.schema import harvest_runs, record_events, records, retirement_reviews

__all__ = ["RetirementBatch", "RetirementTables"]


def _review(row: Any) -> dict[str, Any]:
    review = dict(row._mapping)
    review["record_ids"] = json.loads(review["record_ids"])
    return review


class RetirementBatch:
    """The retirement steps of one transaction (from `Store.retirement_batch()`)."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    @staticmethod
    def _absent(source_id: str, run_id: int) -> sa.ColumnElement[bool]:
        return sa.and_(
            records.c.source_id == source_id,
            records.c.retired.is_(None),
            sa.or_(records.c.seen_run.is_(None), records.c.seen_run != run_id),
        )

    def mark_missing(self, source_id: str, run_id: int, at: datetime) -> int:
        """Count one more missed run for every active record of the source that run
        `run_id` did not see (missing since `at` if it was not missing yet); how many."""
        result = self._conn.execute(
            records.update()
            .where(self._absent(source_id, run_id))
            .values(
                missing_runs=records.c.missing_runs + 1,
                missing_since=sa.func.coalesce(records.c.missing_since, at),
            )
        )
        return int(result.rowcount)

    def past_grace(
        self, source_id: str, run_id: int, grace_runs: int, cutoff: datetime
    ) -> list[str]:
        """Ids of the records run `run_id` missed that have been missing from at least
        `grace_runs` runs and since `cutoff` or earlier, in id order."""
        stmt = (
            sa.select(records.c.id)
            .where(
                self._absent(source_id, run_id),
                records.c.missing_runs >= grace_runs,
                records.c.missing_since <= cutoff,
            )
            .order_by(records.c.id)
        )
        return list(self._conn.scalars(stmt))

    def active_count(self, source_id: str) -> int:
        stmt = (
            sa.select(sa.func.count())
            .select_from(records)
            .where(records.c.source_id == source_id, records.c.retired.is_(None))
        )
        return int(self._conn.scalar(stmt) or 0)

    def hold(self, source_id: str, run_id: int, due: list[str], active: int, at: datetime) -> int:
        """The source's pending review, listing `due`; a newer run replaces the list of the
        pending one (one pending review per source). Its id."""
        values = {
            "run_id": run_id,
            "created": at,
            "candidates": len(due),
            "active": active,
            "record_ids": json.dumps(due),
        }
        pending = self._conn.scalar(
            sa.select(retirement_reviews.c.id).where(
                retirement_reviews.c.source_id == source_id,
                retirement_reviews.c.status == "pending",
            )
        )
        if pending is not None:
            self._conn.execute(
                retirement_reviews.update().where(retirement_reviews.c.id == pending).values(values)
            )
            return int(pending)
        result = self._conn.execute(
            retirement_reviews.insert().values(source_id=source_id, status="pending", **values)
        )
        return new_id(result)

    def retire(
        self, source_id: str, run_id: int | None, ids: list[str], at: datetime, why: str
    ) -> None:
        """Retire records (kept, hidden from search), log a `retired` event for each and
        add them to the run's `retired` counter."""
        if not ids:
            return
        self._conn.execute(records.update().where(records.c.id.in_(ids)).values(retired=at))
        self._conn.execute(
            record_events.insert(),
            [
                {
                    "record_id": rid,
                    "source_id": source_id,
                    "run_id": run_id,
                    "event": "retired",
                    "at": at,
                    "detail": why,
                }
                for rid in ids
            ],
        )
        if run_id is not None:
            self._conn.execute(
                harvest_runs.update()
                .where(harvest_runs.c.id == run_id)
                .values(retired=harvest_runs.c.retired + len(ids))
            )

    def review(self, review_id: int) -> dict[str, Any] | None:
        """A review with its `record_ids` as a list; None if there is no such review."""
        row = self._conn.execute(
            sa.select(retirement_reviews).where(retirement_reviews.c.id == review_id)
        ).first()
        return _review(row) if row is not None else None

    def still_missing(self, ids: list[str]) -> list[str]:
        """Those of `ids` that are active and still counted missing (not seen since)."""
        stmt = sa.select(records.c.id).where(
            records.c.id.in_(ids), records.c.retired.is_(None), records.c.missing_runs > 0
        )
        return list(self._conn.scalars(stmt))

    def forgive(self, ids: list[str]) -> None:
        """The active ones among `ids` are no longer counted missing: grace starts again."""
        self._conn.execute(
            records.update()
            .where(records.c.id.in_(ids), records.c.retired.is_(None))
            .values(missing_runs=0, missing_since=None)
        )

    def decide(self, review_id: int, status: str, at: datetime) -> None:
        """Close a review as `approved` or `rejected`."""
        self._conn.execute(
            retirement_reviews.update()
            .where(retirement_reviews.c.id == review_id)
            .values(status=status, decided=at)
        )


class RetirementTables(StoreBase):
    """Retirement reviews, retired records and record history."""

    @contextmanager
    def retirement_batch(self) -> Iterator[RetirementBatch]:
        """One transaction for a retirement decision and its writes."""
        with self.engine.begin() as conn:
            yield RetirementBatch(conn)

    def retirement_reviews(self, status: str | None = "pending") -> list[dict[str, Any]]:
        """Reviews with that status (every review for None), newest first."""
        stmt = sa.select(retirement_reviews).order_by(retirement_reviews.c.id.desc())
        if status is not None:
            stmt = stmt.where(retirement_reviews.c.status == status)
        with self.engine.connect() as conn:
            return [_review(r) for r in conn.execute(stmt)]

    def retired_records(
        self, source_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Retired records, last retired first: ids, source, when retired and last seen."""
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
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def record_lifecycle(self, record_id: str) -> dict[str, Any] | None:
        """A record's lifecycle columns and its `events` (oldest first); None if unknown."""
        with self.engine.connect() as conn:
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
                return None
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
