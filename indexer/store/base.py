"""Opening and closing the store's database: what every table group of the Store shares.

`Store` (indexer/store/__init__.py) is composed of one class per table group (records, page
writes, runs, retirement, activity, tokens, clusters), each a subclass of `StoreBase` that
reaches the database only through `self.engine`. Keeping the connection here, once, is what
lets every group's SQL live beside its tables and nowhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from indexer.store.schema import (
    add_missing_columns,
    add_missing_indexes,
    metadata,
    sqlite_pragmas,
)
from moisson.errors import BackendUnavailable, ConfigError

__all__ = ["StoreBase", "new_id", "now"]


def now() -> datetime:
    """Naive UTC: what every DateTime column of the store holds (SQLite keeps no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key a single-row INSERT generated."""
    key = result.inserted_primary_key
    assert key is not None, "not the result of a single-row INSERT"
    return int(key[0])


class StoreBase:
    """The database behind a Store. Construct with a URL (no I/O), then `open()` or `with`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._created: set[int] = set()  # ids of the lazily created MetaData (tokens, clusters)

    def open(self) -> Self:
        """Connect, create the core tables and add the columns and indexes an older store
        lacks."""
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
            add_missing_indexes(engine)
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
            self._created.clear()

    def __enter__(self) -> Self:
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
        """The open engine. Only the store's own modules use it, and the scheduler, whose
        APScheduler job store needs an Engine (tests/unit/test_store_owns_sql.py)."""
        if self._engine is None:
            raise RuntimeError("Store used before open()")
        return self._engine

    def _ensure(self, tables: sa.MetaData, what: str) -> Engine:
        """Create a table group kept out of the core schema (tokens, clusters) on first use,
        so a store that never needs them never gets them."""
        engine = self.engine
        if id(tables) not in self._created:
            try:
                tables.create_all(engine)
            except SQLAlchemyError as exc:
                raise BackendUnavailable(f"cannot create {what}", detail=str(exc)) from exc
            self._created.add(id(tables))
        return engine
