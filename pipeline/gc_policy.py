"""Garbage-collector settings for a harvest run.

A harvest allocates many short-lived objects per record (element trees, pydantic models,
the dicts that cross the page-worker pipe) and makes few reference cycles, so CPython's
default first-generation threshold (700 allocations) runs a collection every few records
for little garbage. A run raises the thresholds and puts them back at its end; the forked
page worker also freezes the heap it inherited (thesaurus, vocabularies, matcher indexes),
which collections then never walk again. Measured with `bench_scale.py 10000` in
bench/README.md ("Garbage collector during a harvest").
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["HARVEST_THRESHOLDS", "freeze_inherited", "harvest_thresholds"]

HARVEST_THRESHOLDS = (20_000, 20, 20)


@contextmanager
def harvest_thresholds() -> Iterator[None]:
    """Relaxed collector thresholds for the length of a run (process-wide: other threads of
    a server collect less often meanwhile, which costs them nothing but a little memory)."""
    previous = gc.get_threshold()
    gc.set_threshold(*HARVEST_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def freeze_inherited() -> None:
    """In a forked worker: what it inherited lives as long as it does, so never scan it."""
    gc.freeze()
