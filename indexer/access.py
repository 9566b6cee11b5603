"""Who may see which record: the access config of each source, as index values.

Every record in the index carries `Record.access`: `PUBLIC` ('*') for a public source, else
the roles of the source's `access.roles` (none: admins only). Both backends filter on it
inside the query (moisson.record.Query.roles), so hits, totals, facet counts and paging
only ever cover what the caller may see.

The stamp is computed here from config, never stored as the truth: the ingest path stamps
each record before storing and indexing it, and `moisson reindex` re-stamps every record, so
an access change applies without re-harvesting. The record endpoint asks `may_see` with the
live config, so it applies there at once.

A record whose source is no longer configured is admins-only: a source removed from the
config must not become public by accident.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from moisson.config import SourceSettings
from moisson.record import PUBLIC, Record

__all__ = ["AccessPolicy"]


class AccessPolicy:
    """Source id -> the `access` values of its records, from the configured sources."""

    def __init__(self, sources: Sequence[SourceSettings]) -> None:
        self._by_source = {
            s.id: [PUBLIC] if s.access.public else sorted(set(s.access.roles)) for s in sources
        }

    def access(self, source_id: str) -> list[str]:
        """The `access` values of a record of `source_id` ([] = admins only)."""
        return list(self._by_source.get(source_id, []))

    def stamp(self, record: Record) -> Record:
        """`record` with the access of its source (a copy when it changes)."""
        wanted = self.access(record.provenance.source_id)
        if record.access == wanted:
            return record
        return record.model_copy(update={"access": wanted})

    def stamped(self, records: Iterable[Record]) -> Iterator[Record]:
        return (self.stamp(record) for record in records)

    def may_see(self, source_id: str, roles: Iterable[str] | None) -> bool:
        """Whether a caller with `roles` (None: an admin) may see records of `source_id`."""
        if roles is None:
            return True
        allowed = self._by_source.get(source_id, [])
        return PUBLIC in allowed or not set(allowed).isdisjoint(roles)
