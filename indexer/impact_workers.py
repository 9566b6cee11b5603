"""`thesaurus impact` on several CPU cores: the records are cut into batches in their order,
each batch's impact is computed in a worker process, and the partial impacts are merged in
batch order, so the result (counts and the first example records) is the one a single
process gives. The impact tests compare both.

Workers are spawned processes that load both versions from their files once (a Themer holds
an rdflib graph: cheaper to load again than to send). At most two batches per worker are in
flight, so memory stays flat whatever the number of records. A worker that cannot start or
dies makes the whole run fail with a ConfigError (concurrent.futures reports it; a
multiprocessing.Pool would restart it forever).
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.impact_scope import ChangeScope
from indexer.rules import load_rules
from indexer.theme_impact import Impact, SourceCoverage, ThemeDelta, compute_impact
from indexer.themes import Themer
from indexer.thesaurus import load_thesaurus
from moisson.errors import ConfigError
from moisson.record import Record

__all__ = ["VersionFiles", "auto_workers", "merge_impact", "parallel_impact"]

logger = logging.getLogger(__name__)

_BATCH = 1000
_SMALL = 5000  # below this many records, starting workers costs more than it saves


@dataclass(frozen=True)
class VersionFiles:
    """What a worker needs to build a version's matcher."""

    thesaurus: Path
    rules: Path
    text_threshold: int = 3

    def themer(self) -> Themer:
        return Themer(
            load_thesaurus(self.thesaurus),
            load_rules(self.rules),
            text_threshold=self.text_threshold,
        )


def auto_workers(records: int | None) -> int:
    """One process for a small set (or an unknown size), else one per core, at most 4."""
    if records is None or records < _SMALL:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def _merge_examples(into: list[Any], extra: list[Any], examples: int) -> None:
    into.extend(extra[: max(0, examples - len(into))])


def merge_impact(total: Impact, part: Impact, examples: int) -> None:
    """Add `part` (the impact of the records after those of `total`) to `total`."""
    total.records += part.records
    total.changed_records += part.changed_records
    total.rematched += part.rematched
    total.unthemed += part.unthemed
    _merge_examples(total.unthemed_examples, part.unthemed_examples, examples)
    for concept, delta in part.themes.items():
        into = total.themes.setdefault(concept, ThemeDelta(concept, delta.label))
        for name in ("before", "after", "gained", "lost", "relabelled", "moved"):
            setattr(into, name, getattr(into, name) + getattr(delta, name))
        _merge_examples(into.gained_examples, delta.gained_examples, examples)
        _merge_examples(into.lost_examples, delta.lost_examples, examples)
    for source, coverage in part.coverage.items():
        into_cov = total.coverage.setdefault(source, SourceCoverage(source))
        into_cov.records += coverage.records
        into_cov.themed_before += coverage.themed_before
        into_cov.themed_after += coverage.themed_after


_worker: dict[str, Any] = {}


def _start(old: VersionFiles, new: VersionFiles, examples: int) -> None:
    before, after = old.themer(), new.themer()
    _worker.update(old=before, new=after, scope=ChangeScope(before, after), examples=examples)


def _work(batch: list[Record]) -> Impact:
    return compute_impact(
        batch, _worker["old"], _worker["new"], _worker["examples"], scope=_worker["scope"]
    )


def parallel_impact(
    records: Iterable[Record],
    old: VersionFiles,
    new: VersionFiles,
    examples: int = 5,
    workers: int = 1,
    batch: int = _BATCH,
) -> Impact:
    """compute_impact over `workers` processes (in this process when `workers` is 1)."""
    if workers <= 1:
        return compute_impact(records, old.themer(), new.themer(), examples)
    total = Impact()
    pending: deque[Future[Impact]] = deque()
    iterator = iter(records)
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_start, initargs=(old, new, examples)
        ) as pool:
            while chunk := list(itertools.islice(iterator, batch)):
                pending.append(pool.submit(_work, chunk))
                if len(pending) >= 2 * workers:
                    merge_impact(total, pending.popleft().result(), examples)
            while pending:
                merge_impact(total, pending.popleft().result(), examples)
    except BrokenProcessPool as exc:  # a worker could not start or died
        raise ConfigError(
            "the impact worker processes failed; run with --workers 1 to see why",
            detail=repr(exc),
        ) from exc
    logger.info("impact over %d workers: %d records", workers, total.records)
    return total
