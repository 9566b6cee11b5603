"""Reading stored records and raw payloads, and rewriting their themes.

Records are stored as Record JSON with the columns the store queries on (source, original id,
content hash, lifecycle dates). Retired records stay in the table but are left out of every
read that feeds search, so a re-index never brings them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from indexer.store.base import StoreBase
from indexer.store.schema import raw_payloads, record_events, records
from moisson.errors import NotFound
from moisson.record import Record

__all__ = ["RecordReads", "load_record"]


def load_record(row: Any) -> Record:
    """A Record from a row holding `body` and `last_seen` (last_seen is kept as a column
    only: an unchanged record's body is not rewritten when it is seen again)."""
    record = Record.model_validate_json(row.body)
    record.provenance.last_seen = row.last_seen
    return record


class RecordReads(StoreBase):
    """Records and raw payloads, read by id, by source or in bulk."""

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

    def set_themes_with_events(
        self, themed: Sequence[Record], events: Sequence[dict[str, Any]]
    ) -> None:
        """`set_themes`, and the records' `record_events` rows (what a published thesaurus
        change did to each record: indexer/theme_publish.py)."""
        self.set_themes(themed)
        if events:
            with self.engine.begin() as conn:
                conn.execute(record_events.insert(), list(events))

    def stamp_themes_version(self, version: str) -> int:
        """Record that every active record's themes now come from thesaurus `version`;
        returns how many records were stamped."""
        with self.engine.begin() as conn:
            stamped = conn.execute(
                records.update().where(records.c.retired.is_(None)).values(themes_version=version)
            ).rowcount
        return int(stamped or 0)

    def themes_version(self, record_id: str) -> str | None:
        """The thesaurus version a record's themes were last published with (None: never).
        Raises NotFound for an unknown record."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(records.c.themes_version).where(records.c.id == record_id)
            ).first()
        if row is None:
            raise NotFound(f"no record with id {record_id!r}")
        return None if row.themes_version is None else str(row.themes_version)

    def get(self, record_id: str) -> Record:
        """One record, retired or not; NotFound if the store never held it."""
        stmt = sa.select(records.c.body, records.c.last_seen).where(records.c.id == record_id)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            raise NotFound(f"no record with id {record_id!r}")
        return load_record(row)

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
                found += [load_record(row) for row in conn.execute(stmt)]
        return found

    def raw(self, record_id: str) -> tuple[bytes, str]:
        """The payload a record was parsed from, with its content type."""
        record = self.get(record_id)
        if record.raw is None:
            raise NotFound(f"record {record_id!r} has no raw payload")
        return self.raw_payload(record.raw.sha256)

    def raw_payload(self, sha256: str) -> tuple[bytes, str]:
        """A payload by its SHA-256 (payloads are content-addressed, quarantined ones too)."""
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
                yield load_record(row)
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
            yield [load_record(row) for row in rows]
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
