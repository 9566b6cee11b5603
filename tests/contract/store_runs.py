"""One complete harvest run written straight to a store, for the cluster-store suites."""

from __future__ import annotations

from indexer.store import Store
from moisson.record import Harvested, Record


def harvest(store: Store, source: str, records: list[Record]) -> list[Record]:
    """Write `records` as one page of a complete run of `source`; the records it changed."""
    run = store.begin_run(source)
    items = [
        Harvested(original_id=r.provenance.original_id, raw=r.title.encode(), record=r)
        for r in records
    ]
    written = store.write_page(run, source, items)
    store.finish_run(run, status="complete", complete=True)
    return written.changed
