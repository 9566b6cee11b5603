"""Publishing a merged thesaurus change (`moisson thesaurus apply`): re-theme the store and
the index from the stored records, no harvest, and record which thesaurus version the
themes came from.

- every active record is re-themed with the new version, as indexer/retheme.py does: only
  those whose themes or evidence change are rewritten and re-indexed;
- `records.themes_version` of every active record is set to the version, since each one's
  themes were just computed with it;
- a `rethemed` event (`record_events`, the record's activity log, shown by
  GET /api/admin/records/<id>/history) is written for each record whose themes changed,
  with the version and the themes gained and lost.

A harvest that runs at the same time themes its records with the thesaurus it loaded at
start; the next `apply` (or `moisson reindex`) brings them in line.
"""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from indexer.backends.base import SearchBackend
from indexer.retheme import Stamp
from indexer.store import Store
from indexer.themes import Themer
from moisson.record import Record

__all__ = ["EVENT", "Published", "publish", "themes_version"]

logger = logging.getLogger(__name__)

EVENT = "rethemed"


@dataclass
class Published:
    version: str
    records: int  # active records now stamped with the version
    changed: list[str] = field(default_factory=list)  # ids whose themes changed


def publish(
    store: Store,
    backend: SearchBackend | None,
    themer: Themer,
    version: str,
    *,
    at: datetime,
    stamp: Stamp | None = None,
) -> Published:
    """Re-theme every active record with `themer`, store and index the changes, and record
    `version` (see the module docstring). `stamp` prepares records for the index. The same
    pass as indexer/retheme.py `retheme`, keeping each batch's old themes for the events."""
    changed_ids: list[str] = []
    stored = store.iter_records()
    while batch := list(itertools.islice(stored, 500)):
        changed: list[Record] = []
        events = []
        for record in batch:
            themes = themer.assign(record)
            if themes == record.themes:
                continue
            changed.append(record.model_copy(update={"themes": themes}))
            old = [t.id for t in record.themes]
            new = [t.id for t in themes]
            if old == new:  # same themes, other evidence: stored, but no event to show
                continue
            detail = {
                "thesaurus": version,
                "gained": [t for t in new if t not in old],
                "lost": [t for t in old if t not in new],
            }
            events.append(
                {
                    "record_id": record.id,
                    "source_id": record.provenance.source_id,
                    "run_id": None,
                    "event": EVENT,
                    "at": at,
                    "detail": json.dumps(detail, ensure_ascii=False),
                }
            )
        if not changed:
            continue
        store.set_themes_with_events(changed, events)
        if backend is not None:
            backend.index(list(stamp(changed)) if stamp is not None else changed)
        changed_ids += [r.id for r in changed]
    stamped = store.stamp_themes_version(version)
    logger.info(
        "thesaurus %s applied: %d records, %d re-themed", version, stamped, len(changed_ids)
    )
    return Published(version, stamped, changed_ids)


def themes_version(store: Store, record_id: str) -> str | None:
    """The thesaurus version the record's themes were last applied with (None: never)."""
    return store.themes_version(record_id)
