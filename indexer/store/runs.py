"""Harvest runs, the quarantine and the HTTP validators: the bookkeeping of harvesting.

A run row is the checkpoint of a harvest (pages, counters, cursor, owner and heartbeat), so
an interrupted run resumes where it stopped (pipeline/runs.py). Quarantine rows keep what
could not be parsed, with the reason and the raw payload's hash, until a later run stores a
valid record with the same id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from indexer.store.base import StoreBase, new_id, now
from indexer.store.schema import harvest_runs, http_validators, quarantine, records

__all__ = ["RunRow", "RunTables"]

COUNTERS = ("seen", "new", "updated", "unchanged", "quarantined")


@dataclass
class RunRow:
    id: int
    source_id: str
    started: datetime
    ended: datetime | None
    status: str
    complete: bool
    pages: int
    seen: int
    new: int
    updated: int
    unchanged: int
    quarantined: int
    declared_total: int | None
    cursor: str | None
    since: datetime | None
    message: str | None
    owner: str | None = None
    heartbeat: datetime | None = None
    retired: int = 0


class RunTables(StoreBase):
    """Harvest runs, quarantine entries and the validators saved by complete runs."""

    # -- runs ------------------------------------------------------------------------------

    def begin_run(
        self, source_id: str, since: datetime | None = None, *, owner: str | None = None
    ) -> int:
        """A new `running` run with zero counters; its id."""
        with self.engine.begin() as conn:
            result = conn.execute(
                harvest_runs.insert().values(
                    source_id=source_id,
                    started=now(),
                    status="running",
                    complete=False,
                    pages=0,
                    since=since,
                    owner=owner,
                    heartbeat=now(),
                    retired=0,
                    **dict.fromkeys(COUNTERS, 0),
                )
            )
        return new_id(result)

    def finish_run(
        self, run_id: int, *, status: str, complete: bool, message: str | None = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                harvest_runs.update()
                .where(harvest_runs.c.id == run_id)
                .values(ended=now(), status=status, complete=complete, message=message)
            )

    def runs(self, source_id: str | None = None, limit: int = 50) -> list[RunRow]:
        """The latest runs, newest first."""
        stmt = sa.select(harvest_runs).order_by(harvest_runs.c.id.desc()).limit(limit)
        if source_id is not None:
            stmt = stmt.where(harvest_runs.c.source_id == source_id)
        with self.engine.connect() as conn:
            return [RunRow(**row._mapping) for row in conn.execute(stmt)]

    def latest_run(self, source_id: str) -> RunRow | None:
        stmt = (
            sa.select(harvest_runs)
            .where(harvest_runs.c.source_id == source_id)
            .order_by(harvest_runs.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return RunRow(**row._mapping) if row else None

    def distinct_seen(self, source_id: str, run_id: int) -> int:
        """Distinct records a run delivered: stored ones it saw plus distinct quarantined ids
        (a page served twice inside a run counts once)."""
        with self.engine.connect() as conn:
            stored = conn.scalar(
                sa.select(sa.func.count())
                .select_from(records)
                .where(records.c.source_id == source_id, records.c.seen_run == run_id)
            )
            stored_too = sa.exists().where(
                records.c.source_id == quarantine.c.source_id,
                records.c.original_id == quarantine.c.original_id,
                records.c.seen_run == run_id,
            )
            named = conn.scalar(
                sa.select(sa.func.count(sa.distinct(quarantine.c.original_id))).where(
                    quarantine.c.run_id == run_id,
                    quarantine.c.original_id.is_not(None),
                    ~stored_too,
                )
            )
            unnamed = conn.scalar(
                sa.select(sa.func.count())
                .select_from(quarantine)
                .where(quarantine.c.run_id == run_id, quarantine.c.original_id.is_(None))
            )
        return int(stored or 0) + int(named or 0) + int(unnamed or 0)

    def runs_in_progress(self, source_id: str) -> list[RunRow]:
        stmt = sa.select(harvest_runs).where(
            harvest_runs.c.source_id == source_id, harvest_runs.c.status == "running"
        )
        with self.engine.connect() as conn:
            return [RunRow(**row._mapping) for row in conn.execute(stmt)]

    def discard_run(self, run_id: int) -> None:
        """Delete a run that never wrote a page (it lost the race to start)."""
        with self.engine.begin() as conn:
            conn.execute(
                harvest_runs.delete().where(harvest_runs.c.id == run_id, harvest_runs.c.pages == 0)
            )

    def take_over_run(self, run_id: int, owner: str) -> None:
        """Mark an interrupted run as running again, owned by this process."""
        with self.engine.begin() as conn:
            conn.execute(
                harvest_runs.update()
                .where(harvest_runs.c.id == run_id)
                .values(status="running", owner=owner, heartbeat=now(), ended=None)
            )

    def last_complete_run(self, source_id: str) -> RunRow | None:
        stmt = (
            sa.select(harvest_runs)
            .where(harvest_runs.c.source_id == source_id, harvest_runs.c.complete.is_(True))
            .order_by(harvest_runs.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return RunRow(**row._mapping) if row else None

    def last_full_run_id(self, source_id: str) -> int | None:
        """The id of the source's last complete run that was full (no `since`): where the
        count towards the next periodic full run starts (choose_since)."""
        stmt = sa.select(sa.func.max(harvest_runs.c.id)).where(
            harvest_runs.c.source_id == source_id,
            harvest_runs.c.complete.is_(True),
            harvest_runs.c.since.is_(None),
        )
        with self.engine.connect() as conn:
            found = conn.scalar(stmt)
        return int(found) if found is not None else None

    def complete_runs_after(self, source_id: str, run_id: int) -> int:
        """Complete runs of the source started after run `run_id`."""
        stmt = (
            sa.select(sa.func.count())
            .select_from(harvest_runs)
            .where(
                harvest_runs.c.source_id == source_id,
                harvest_runs.c.complete.is_(True),
                harvest_runs.c.id > run_id,
            )
        )
        with self.engine.connect() as conn:
            return int(conn.scalar(stmt) or 0)

    # -- quarantine ------------------------------------------------------------------------

    def quarantine_entry(self, entry_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(quarantine).where(quarantine.c.id == entry_id)).first()
        return dict(row._mapping) if row else None

    def quarantined(
        self, source_id: str | None = None, limit: int = 100, *, include_resolved: bool = True
    ) -> list[dict[str, Any]]:
        """Quarantine entries, newest first."""
        stmt = sa.select(quarantine).order_by(quarantine.c.id.desc()).limit(limit)
        if not include_resolved:
            stmt = stmt.where(quarantine.c.resolved.is_(None))
        if source_id is not None:
            stmt = stmt.where(quarantine.c.source_id == source_id)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(stmt)]

    def open_quarantine_payloads(self, source_id: str, *, except_run: int) -> list[str]:
        """SHA-256 of the payloads behind the source's open quarantine entries, those of run
        `except_run` aside (the run retrying them just wrote them): what a retry re-parses."""
        stmt = (
            sa.select(quarantine.c.raw_sha256)
            .where(
                quarantine.c.source_id == source_id,
                quarantine.c.resolved.is_(None),
                quarantine.c.run_id != except_run,
            )
            .distinct()
            .order_by(quarantine.c.raw_sha256)
        )
        with self.engine.connect() as conn:
            return list(conn.scalars(stmt))

    # -- HTTP validators -------------------------------------------------------------------

    def validators(self, source_id: str) -> dict[str, tuple[str | None, str | None]]:
        """url -> (etag, last_modified) saved by the source's last complete run."""
        stmt = sa.select(
            http_validators.c.url, http_validators.c.etag, http_validators.c.last_modified
        ).where(http_validators.c.source_id == source_id)
        with self.engine.connect() as conn:
            return {row.url: (row.etag, row.last_modified) for row in conn.execute(stmt)}

    def save_validators(
        self, source_id: str, found: dict[str, tuple[str | None, str | None]]
    ) -> None:
        """Replace the validators of these URLs (call only after a complete run)."""
        if not found:
            return
        with self.engine.begin() as conn:
            conn.execute(
                http_validators.delete().where(
                    http_validators.c.source_id == source_id,
                    http_validators.c.url.in_(list(found)),
                )
            )
            conn.execute(
                http_validators.insert(),
                [
                    {
                        "source_id": source_id,
                        "url": url,
                        "etag": etag,
                        "last_modified": modified,
                        "saved": now(),
                    }
                    for url, (etag, modified) in found.items()
                ],
            )
