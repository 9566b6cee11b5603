"""The record store: raw payloads, normalised records, harvest runs and quarantine.

SQLAlchemy Core, so the same code runs on SQLite (the embedded default) and PostgreSQL (at
scale) from a URL. The store is the source of truth: the search index can always be rebuilt
from it without harvesting again.

Records are upserted by (source id, original id), which the stable `Record.id` encodes. A
record whose content hash has not changed is not rewritten (only its `last_seen`), so a
second harvest of an unchanged catalogue writes no record and re-indexes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from indexer.store_schema import (
    add_missing_columns,
    harvest_runs,
    http_validators,
    metadata,
    quarantine,
    raw_payloads,
    record_events,
    records,
    sqlite_pragmas,
)
from moisson.errors import BackendUnavailable, ConfigError, NotFound
from moisson.record import Harvested, Outcome, Provenance, RawPayload, Record, record_id

__all__ = ["PageWrite", "RunRow", "Store"]

logger = logging.getLogger(__name__)

COUNTERS = ("seen", "new", "updated", "unchanged", "quarantined")


@dataclass
class PageWrite:
    """What one page did to the store: outcome counts, and the records to (re)index."""

    outcomes: Counter[Outcome]
    changed: list[Record]


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


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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


class Store:
    """The record store. Construct with a URL (no I/O), then `open()` or use `with`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> Store:
        if self._engine is not None:
            return self
        try:
            url = sa.make_url(self.url)
        except sa.exc.ArgumentError as exc:
            raise ConfigError(f"store.url {self.url!r} is not a database URL") from exc
        if url.drivername == "postgresql":  # SQLAlchemy would pick psycopg2; we ship psycopg 3
            url = url.set(drivername="postgresql+psycopg")
        if url.get_backend_name() == "sqlite" and url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url)
        if url.get_backend_name() == "sqlite":
            sa.event.listen(engine, "connect", sqlite_pragmas)
        try:
            metadata.create_all(engine)
            add_missing_columns(engine)
        except SQLAlchemyError as exc:
            raise BackendUnavailable(
                f"cannot open the store at {self.url}", detail=str(exc)
            ) from exc
        self._engine = engine
        return self

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> Store:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("Store used before open()")
        return self._engine

    # -- runs ------------------------------------------------------------------------------

    def begin_run(
        self, source_id: str, since: datetime | None = None, *, owner: str | None = None
    ) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                harvest_runs.insert().values(
                    source_id=source_id,
                    started=_now(),
                    status="running",
                    complete=False,
                    pages=0,
                    since=since,
                    owner=owner,
                    heartbeat=_now(),
                    retired=0,
                    **dict.fromkeys(COUNTERS, 0),
                )
            )
            run_id = result.inserted_primary_key[0]
        return int(run_id)

    def finish_run(
        self, run_id: int, *, status: str, complete: bool, message: str | None = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                harvest_runs.update()
                .where(harvest_runs.c.id == run_id)
                .values(ended=_now(), status=status, complete=complete, message=message)
            )

    def runs(self, source_id: str | None = None, limit: int = 50) -> list[RunRow]:
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
                .values(status="running", owner=owner, heartbeat=_now(), ended=None)
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

    # -- pages -----------------------------------------------------------------------------

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
        now = _now()
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
                        "created": now,
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
                        changed.append(self._load_in(conn, rid))
                    continue
                first_seen = old.first_seen if old is not None else now
                record.provenance = Provenance(
                    source_id=source_id,
                    original_id=record.provenance.original_id,
                    first_seen=first_seen,
                    last_seen=now,
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
                    "last_seen": now,
                    "updated": now,
                    "harvest_run": run_id,
                }
                (updates if old is not None else inserts).append(row)
                changed.append(record)
            self._insert_raws(conn, raws)
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
                    records.update().where(records.c.id.in_(unchanged)).values(last_seen=now)
                )
            if candidates:
                # Seen by this run: no longer missing, and back from retirement if it was.
                conn.execute(
                    records.update()
                    .where(records.c.id.in_(list(candidates)))
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
                            "at": now,
                            "detail": "present at the source again",
                        }
                        for rid in revived
                    ],
                )
            self._resolve_quarantine(conn, source_id, candidates.values(), bad, now)
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
                "heartbeat": now,
            }
            if declared_total is not None:
                values["declared_total"] = declared_total
            conn.execute(harvest_runs.update().where(harvest_runs.c.id == run_id).values(values))
        return PageWrite(outcomes=outcomes, changed=changed)

    @staticmethod
    def _load_in(conn: sa.Connection, record_id: str) -> Record:
        row = conn.execute(
            sa.select(records.c.body, records.c.last_seen).where(records.c.id == record_id)
        ).one()
        return Store._load(row)

    @staticmethod
    def _resolve_quarantine(
        conn: sa.Connection,
        source_id: str,
        valid: Any,
        bad: list[dict[str, Any]],
        now: datetime,
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
            .values(resolved=now)
        )

    def _insert_raws(self, conn: sa.Connection, raws: dict[str, dict[str, Any]]) -> None:
        """Content-addressed: a payload already stored is not written again."""
        if not raws:
            return
        present = set(
            conn.scalars(sa.select(raw_payloads.c.sha256).where(raw_payloads.c.sha256.in_(raws)))
        )
        fresh = [row for sha, row in raws.items() if sha not in present]
        if fresh:
            conn.execute(raw_payloads.insert(), fresh)

    # -- reading ---------------------------------------------------------------------------

    @staticmethod
    def _load(row: Any) -> Record:
        record = Record.model_validate_json(row.body)
        record.provenance.last_seen = row.last_seen
        return record

    def set_themes(self, themed: Sequence[Record]) -> None:
        """Rewrite the stored body of each record with its (re)computed themes. Only the
        `themes` of the given records change: their content hash and dates stay, so the next
        harvest still sees them as unchanged (indexer/retheme.py)."""
        if not themed:
            return
        with self.engine.begin() as conn:
            for record in themed:
                row = conn.execute(
                    sa.select(records.c.body).where(records.c.id == record.id)
                ).first()
                if row is None:
                    continue
                stored = Record.model_validate_json(row.body)
                stored.themes = record.themes
                conn.execute(
                    records.update()
                    .where(records.c.id == record.id)
                    .values(body=stored.model_dump_json())
                )

    def get(self, record_id: str) -> Record:
        stmt = sa.select(records.c.body, records.c.last_seen).where(records.c.id == record_id)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            raise NotFound(f"no record with id {record_id!r}")
        return self._load(row)

    def active(self, record_ids: Iterable[str]) -> list[Record]:
        """The stored, not retired records among `record_ids` (unknown ids are skipped), in
        id order: what re-indexing a set of records reads."""
        wanted = sorted(set(record_ids))
        found: list[Record] = []
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                stmt = (
                    sa.select(records.c.id, records.c.body, records.c.last_seen)
                    .where(records.c.id.in_(wanted[start : start + 500]))
                    .where(records.c.retired.is_(None))
                    .order_by(records.c.id)
                )
                found += [self._load(row) for row in conn.execute(stmt)]
        return found

    def raw(self, record_id: str) -> tuple[bytes, str]:
        record = self.get(record_id)
        if record.raw is None:
            raise NotFound(f"record {record_id!r} has no raw payload")
        return self.raw_payload(record.raw.sha256)

    def raw_payload(self, sha256: str) -> tuple[bytes, str]:
        stmt = sa.select(raw_payloads.c.body, raw_payloads.c.content_type).where(
            raw_payloads.c.sha256 == sha256
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            raise NotFound(f"no raw payload {sha256}")
        return bytes(row.body), row.content_type

    def iter_records(
        self, source_id: str | None = None, batch: int = 1000, *, include_retired: bool = False
    ) -> Iterator[Record]:
        """Every stored record, in id order, fetched in batches (keyset paging keeps memory
        flat however large the store). Retired records are left out unless asked for, so a
        re-index never brings them back into search."""
        last = ""
        while True:
            stmt = (
                sa.select(records.c.id, records.c.body, records.c.last_seen)
                .where(records.c.id > last)
                .order_by(records.c.id)
                .limit(batch)
            )
            if source_id is not None:
                stmt = stmt.where(records.c.source_id == source_id)
            if not include_retired:
                stmt = stmt.where(records.c.retired.is_(None))
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
            if not rows:
                return
            for row in rows:
                yield self._load(row)
            last = rows[-1].id

    def records_seen_by(self, run_id: int, batch: int = 1000) -> Iterator[list[Record]]:
        """Batches of the active records a run has written or seen so far."""
        last = ""
        while True:
            stmt = (
                sa.select(records.c.id, records.c.body, records.c.last_seen)
                .where(
                    records.c.seen_run == run_id,
                    records.c.retired.is_(None),
                    records.c.id > last,
                )
                .order_by(records.c.id)
                .limit(batch)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
            if not rows:
                return
            yield [self._load(row) for row in rows]
            last = rows[-1].id

    def count(self, source_id: str | None = None, *, include_retired: bool = False) -> int:
        """Records in the store; retired ones only when asked for."""
        stmt = sa.select(sa.func.count()).select_from(records)
        if not include_retired:
            stmt = stmt.where(records.c.retired.is_(None))
        if source_id is not None:
            stmt = stmt.where(records.c.source_id == source_id)
        with self.engine.connect() as conn:
            return int(conn.scalar(stmt) or 0)

    def counts_by_source(self) -> dict[str, int]:
        """Active (not retired) records per source."""
        stmt = (
            sa.select(records.c.source_id, sa.func.count())
            .where(records.c.retired.is_(None))
            .group_by(records.c.source_id)
        )
        with self.engine.connect() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(stmt)}

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
                        "saved": _now(),
                    }
                    for url, (etag, modified) in found.items()
                ],
            )

    def quarantine_entry(self, entry_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(quarantine).where(quarantine.c.id == entry_id)).first()
        return dict(row._mapping) if row else None

    def quarantined(
        self, source_id: str | None = None, limit: int = 100, *, include_resolved: bool = True
    ) -> list[dict[str, Any]]:
        stmt = sa.select(quarantine).order_by(quarantine.c.id.desc()).limit(limit)
        if not include_resolved:
            stmt = stmt.where(quarantine.c.resolved.is_(None))
        if source_id is not None:
            stmt = stmt.where(quarantine.c.source_id == source_id)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(stmt)]
