"""Read, parse and theme a source's pages in worker processes while this process writes.

A harvest's CPU work splits in two: reading and parsing pages, matching themes and computing
duplicate fingerprints (pure over each page), and writing (store, index, cluster tables:
one writer, the SQLite rule). With `[harvest] workers` above 1, `WorkerSource` wraps the
source so that the first part runs in a forked child process, overlapped with the second:

    child:   source.harvest(since, cursor) -> page -> PagePreparer (themes, fingerprints)
                                                   \\-> with workers > 2, spread over a pool
    parent:  run_source -> Ingestor.write_page(PreparedPage) -> store, index, clusters

Order and checkpoints stay exact: pages reach the writer in the source's order, one at a
time, each with its own cursor. The child reads at most one page ahead: after sending a
page it waits until the writer has taken it, then reads the next one while the writer
writes (with a preparing pool, one page per pool process is in flight). The writer commits
each page with its cursor as before; a page the child had read but the writer had not yet
committed when the harvest died is simply read again from the checkpoint by the resumed run.
The child dies with its parent (PR_SET_PDEATHSIG on Linux, and a parent-id check), so a
`kill -9` of `moisson harvest` leaves no orphan still fetching pages.

The child is forked, so the source, its options and the theme matcher it uses are the
parent's own (nothing is loaded twice); it builds its own HTTP client (an inherited one
would share keep-alive sockets with the parent). What the parent needs back at the end
(the HTTP validators of the run, third-party warning counts) comes with the last message.
Where fork is not available, pages are prepared in-process.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from harvester import library_warnings
from harvester.base import Page
from indexer.fingerprints import Fingerprint, fingerprint
from indexer.themes import Themer
from moisson import errors
from moisson.errors import SourceError
from moisson.record import Harvested, Record
from pipeline.gc_policy import freeze_inherited

__all__ = ["PagePreparer", "PreparedPage", "WorkerSource", "can_fork"]

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


@dataclass
class PreparedPage(Page):
    """A page whose records already carry their themes (when a theme matcher is set) and
    whose duplicate fingerprints are computed (record id -> Fingerprint), so the writer
    only writes."""

    themed: bool = False
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)


@dataclass
class PagePreparer:
    """The pure, per-page part of ingesting: themes and fingerprints. Picklable (it crosses
    to pool processes) and deterministic, so a page prepared in a worker is exactly what
    `Ingestor.write_page` would have made of it in-process."""

    source_id: str
    themer: Themer | None
    fingerprints: bool

    def __call__(self, page: Page) -> PreparedPage:
        found: dict[str, Fingerprint] = {}
        for item in page.items:
            record = item.record
            if record is None:
                continue
            if record.provenance.source_id != self.source_id:  # as the store will write it
                provenance = record.provenance.model_copy(update={"source_id": self.source_id})
                record = item.record = record.model_copy(update={"provenance": provenance})
            if self.themer is not None:
                record.themes = self.themer.assign(record)
            if self.fingerprints:
                found[record.id] = fingerprint(record)
        return PreparedPage(
            items=page.items,
            cursor=page.cursor,
            declared_total=page.declared_total,
            notes=page.notes,
            not_modified=page.not_modified,
            themed=self.themer is not None,
            fingerprints=found,
        )


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class WorkerSource:
    """A Source whose `harvest` runs in a child process (see the module docstring).

    `workers` counts the processes that share the work, this one (the writer) included:
    2 puts reading, parsing and preparing in one child; N > 2 leaves reading and parsing
    in the child and spreads preparing over N - 2 more processes. `finish()` runs in the
    child after the last page; what it returns is handed to `on_finish` in the parent."""

    def __init__(
        self,
        source: Any,
        prepare: PagePreparer,
        workers: int,
        *,
        finish: Callable[[], Any] = lambda: None,
        on_finish: Callable[[Any], None] = lambda _: None,
    ) -> None:
        self.source = source
        self.prepare = prepare
        self.workers = workers
        self.finish = finish
        self.on_finish = on_finish

    def harvest(self, since: datetime | None = None, cursor: str | None = None) -> Iterator[Page]:
        self._cpu_start = time.process_time()
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe()
        child = context.Process(
            target=_produce,
            args=(self, since, cursor, sending, os.getpid()),
            name=f"moisson-harvest-{self.prepare.source_id}",
        )
        child.start()
        sending.close()
        try:
            while True:
                try:
                    kind, value = receiving.recv()
                except EOFError:
                    raise RuntimeError(
                        f"the harvest worker of {self.prepare.source_id} died "
                        f"(exit code {child.exitcode})"
                    ) from None
                if kind == "page":
                    receiving.send(True)  # the worker may read the next page meanwhile
                    yield _unpacked(value)
                elif kind == "end":
                    self._finished(value)
                    return
                elif kind == "source_error":
                    name, message, detail, extra = value
                    self._finished(extra)
                    cls = getattr(errors, name, SourceError)
                    if not (isinstance(cls, type) and issubclass(cls, SourceError)):
                        cls = SourceError
                    raise cls(message, detail=detail)
                else:
                    raise RuntimeError(
                        f"the harvest worker of {self.prepare.source_id} failed:\n{value}"
                    )
        finally:
            receiving.close()
            if child.is_alive():
                child.terminate()
            child.join()

    def _finished(self, extra: dict[str, Any]) -> None:
        library_warnings.add_count(self.prepare.source_id, extra["warnings"])
        logger.info(
            "%s: harvest worker CPU %.1f s, writer CPU %.1f s",
            self.prepare.source_id,
            extra["cpu"],
            time.process_time() - self._cpu_start,
        )
        self.on_finish(extra["finish"])


# A page on the pipe: plain tuples, dicts and bytes. Pickling the pydantic models themselves
# costs ~100 us a record each way (one __setstate__ per sub-model); a record's dict and
# `model_validate` on arrival cost less than half, in both processes.
_Wire = tuple[Any, ...]


def _packed(page: PreparedPage) -> _Wire:
    items = [
        (h.original_id, h.raw, h.content_type, h.error, h.record and h.record.model_dump())
        for h in page.items
    ]
    extra = (page.declared_total, page.notes, page.not_modified, page.themed, page.fingerprints)
    return (items, page.cursor, *extra)


def _unpacked(wire: _Wire) -> PreparedPage:
    items, cursor, declared_total, notes, not_modified, themed, fingerprints = wire
    return PreparedPage(
        items=[
            Harvested.model_construct(
                original_id=original_id,
                raw=raw,
                content_type=content_type,
                error=error,
                record=None if record is None else Record.model_validate(record),
            )
            for original_id, raw, content_type, error, record in items
        ],
        cursor=cursor,
        declared_total=declared_total,
        notes=notes,
        not_modified=not_modified,
        themed=themed,
        fingerprints=fingerprints,
    )


def _die_with(parent: int) -> None:
    """Ask the kernel to kill this process when its parent dies, then check the parent did
    not die before the request."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the parent-id checks remain
            pass
    if os.getppid() != parent:
        os._exit(1)


def _produce(
    wrapper: WorkerSource, since: datetime | None, cursor: str | None, out: Connection, parent: int
) -> None:
    """The child: read the source, prepare each page, send it; then the finish values."""
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    freeze_inherited()
    source_id = wrapper.prepare.source_id
    try:
        pages = wrapper.source.harvest(since=since, cursor=cursor)
        for page in _prepared(pages, wrapper.prepare, wrapper.workers - 2):
            out.send(("page", _packed(page)))
            _wait_for_writer(out, parent)
        out.send(("end", _extra(wrapper, source_id)))
    except (BrokenPipeError, EOFError):  # the writer stopped listening: nothing to tell
        os._exit(0)
    except SourceError as exc:
        detail = (type(exc).__name__, exc.message, exc.detail, _extra(wrapper, source_id))
        out.send(("source_error", detail))
    except BaseException:
        out.send(("error", traceback.format_exc()))
    finally:
        out.close()


def _wait_for_writer(out: Connection, parent: int) -> None:
    """Block until the writer has taken the page just sent, so this process reads at most
    one page ahead of the writer (a page fetched ahead is fetched again after a crash, and
    holds memory meanwhile). Exits if the writer is gone."""
    while not out.poll(1.0):
        if os.getppid() != parent:
            os._exit(1)
    out.recv()


def _extra(wrapper: WorkerSource, source_id: str) -> dict[str, Any]:
    return {
        "finish": wrapper.finish(),
        "warnings": library_warnings.take_count(source_id),
        "cpu": time.process_time(),
    }


def _prepared(
    pages: Iterator[Page], prepare: PagePreparer, pool_size: int
) -> Iterator[PreparedPage]:
    """Pages prepared in order: here, or over a pool with at most `pool_size` pages in
    flight (a pool's own `imap` would read the whole source ahead)."""
    if pool_size < 1:
        for page in pages:
            yield prepare(page)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(pool_size, initializer=_die_with, initargs=(os.getpid(),)) as pool:
        flight: deque[Any] = deque()
        for page in pages:
            flight.append(pool.apply_async(prepare, (page,)))
            if len(flight) >= pool_size:
                yield flight.popleft().get()
        while flight:
            yield flight.popleft().get()
