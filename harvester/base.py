"""The `Source` plug point: one class per source kind.

A source turns a remote catalogue (or a local file/folder) into pages of `Harvested` items.
It knows nothing of the store, themes or search backends; `pipeline/runs.py` drives it and
hands each page to a sink.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Protocol, TypeVar

from harvester.http import HttpClient
from moisson.config import SourceSettings
from moisson.record import Harvested

__all__ = ["OptionsT", "Page", "Source", "SourceContext"]

OptionsT = TypeVar("OptionsT", bound=SourceSettings, covariant=True)


@dataclass
class Page:
    """One unit of harvesting, committed and checkpointed as a whole.

    `cursor` is where the next page starts (resume from it after a crash); `declared_total`
    is what the server claims matched, so the run can compare it with what arrived; `notes`
    record anomalies that may have cost records (a repeated page, a nextRecord that does not
    advance): a run with notes is partial, never complete. `not_modified` says the server
    answered a conditional request with 304 (HttpClient.fetch_document): the whole catalogue
    is unchanged since the last complete run, so the run is `unchanged` and retires nothing.
    """

    items: list[Harvested]
    cursor: str | None = None
    declared_total: int | None = None
    notes: list[str] = field(default_factory=list)
    not_modified: bool = False


@dataclass(frozen=True)
class SourceContext:
    """What the conductor offers a source besides its options. A source takes only what it
    needs: `http()` builds the source's HTTP client view (its auth, the validators of its
    last complete run) on first call, so a source that reads a database or a file share
    never gets one.
    """

    http: Callable[[], HttpClient]

    @classmethod
    def with_http(cls, client: HttpClient) -> SourceContext:
        """A context whose HTTP client is `client` as it is (tests, benchmarks)."""
        return cls(http=lambda: client)


class Source(Protocol[OptionsT]):
    """Contract for every source kind.

    - `kind` is the name used in config; `Options` is the pydantic model of its config table
      (a subclass of SourceSettings), validated at config load, and the type parameter of
      the Protocol: the constructor receives an instance of exactly that model.
    - The constructor does no I/O; it takes from `context` only what it needs.
    - `harvest` yields pages in order. `since` asks for records modified after that instant
      where the protocol allows (sources that cannot filter return everything). `cursor`
      resumes after the page that produced it.
    - A record that cannot be parsed is yielded as a Harvested with `error` set: it never
      stops the page. A failure of the whole source or page raises SourceError (or a child);
      pages already yielded stay valid.
    - Paging must terminate: stop when the next position does not advance or a page repeats,
      and say so in `Page.notes`.
    """

    kind: ClassVar[str]
    Options: ClassVar[type[SourceSettings]]

    def __init__(self, options: OptionsT, context: SourceContext) -> None: ...

    def harvest(
        self, since: datetime | None = None, cursor: str | None = None
    ) -> Iterator[Page]: ...
