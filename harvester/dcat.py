"""DCAT source: a catalogue document over HTTP (Turtle, RDF/XML, JSON-LD or N-Triples), paged
with hydra, or a file / folder of such documents.

Paging follows `hydra:next` (PartialCollectionView) or the legacy `hydra:nextPage`
(PagedCollection). Servers loop and lie, so:

- a next link already visited, or a page holding exactly the datasets of the previous one,
  ends the run with a note (partial, never complete: nothing is retired);
- a page with no dataset that still links to a next page ends the run with a note;
- a page whose body does not parse (truncated, an HTML error page sent with 200) is asked
  again like a 5xx (HttpClient.page) before the run ends partial;
- `max_pages` bounds everything.

One document can hold thousands of datasets (national dumps): its datasets are yielded in
pages of `page_size` records, parsed lazily from the graph, and the cursor says how many of
the document's datasets are done ("<done>|<document url>"), so a resumed run re-reads the
document and skips them. The graph of one document is in memory while it is read (rdflib
has no streaming DCAT); bench/bench_dcat_memory.py measures what that costs.

DCAT has no standard "modified since" query: `since` is ignored and every run is full.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import ClassVar, Literal
from urllib.parse import urljoin

from pydantic import Field

from harvester.base import Page, SourceContext
from harvester.formats.dcat import RAW_CONTENT_TYPE, read_graph
from harvester.formats.rdf_document import hydra_paging, load_graph, sniff_syntax
from harvester.formats.rdf_stream import stream_dcat
from harvester.http import Response
from harvester.library_warnings import captured
from harvester.local_files import local_files, suffix_in
from moisson.config import SourceSettings
from moisson.errors import SourceError
from moisson.record import Harvested

__all__ = ["DcatOptions", "DcatSource", "read_dcat_document"]

logger = logging.getLogger(__name__)

ACCEPT = (
    "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, "
    "application/n-triples;q=0.7, */*;q=0.1"
)
SUFFIX_TYPES = {
    ".ttl": "text/turtle",
    ".rdf": "application/rdf+xml",
    ".xml": "application/rdf+xml",
    ".jsonld": "application/ld+json",
    ".json": "application/ld+json",
    ".nt": "application/n-triples",
}


NO_DATASET = (
    "no dcat:Dataset, dcat:DatasetSeries or dcat:DataService found "
    "(DCAT-US / Project Open Data JSON is not RDF and is not read)"
)


class DcatOptions(SourceSettings):
    kind: Literal["dcat"] = "dcat"
    page_size: int = Field(
        200, ge=1, le=10_000, description="Datasets per harvest page (one store transaction)."
    )
    languages: list[str] = Field(
        ["fr", "en"],
        description="Preferred languages (ISO 639-1) for the title, abstract and keywords of "
        "multilingual records, in order.",
    )
    max_pages: int = Field(10_000, ge=1, description="Safety stop for catalogues that never end.")
    stream_above_mib: float = Field(
        8,
        ge=0,
        description="Turtle, N-Triples and RDF/XML documents larger than this are read one "
        "dataset at a time (bounded memory) instead of as one rdflib graph.",
    )


def read_dcat_file(
    data: bytes,
    content_type: str | None,
    source_id: str,
    languages: tuple[str, ...] = ("fr", "en"),
    base: str | None = None,
    name: str = "document",
) -> list[Harvested]:
    """The items of one saved document; a document that is not usable DCAT becomes one
    quarantine entry with the reason (a folder of files goes on with the next file)."""
    try:
        items = list(read_dcat_document(data, content_type, source_id, languages, base)[0])
    except SourceError as exc:
        return [_document_error(data, f"{name}: {exc.message}")]
    if not items:
        return [_document_error(data, f"{name}: {NO_DATASET}")]
    return items


# (items, next page URL, declared total) of one DCAT document.
DcatPage = tuple[Iterator[Harvested], str | None, int | None]


def read_dcat_document(
    data: bytes,
    content_type: str | None,
    source_id: str,
    languages: tuple[str, ...] = ("fr", "en"),
    base: str | None = None,
    stream_above: int | None = None,
) -> DcatPage:
    """(items, next page URL, declared total) of one DCAT document. Raises SourceError
    (SourceProtocolError, UnsafeInput) when the document is not usable RDF. Documents larger
    than `stream_above` bytes are read one dataset at a time (formats/rdf_stream.py)."""
    syntax = sniff_syntax(data)
    if stream_above is not None and len(data) > stream_above and syntax in ("xml", "turtle", "nt"):
        items, paging = stream_dcat(data, syntax, source_id, languages, base)
        next_url = urljoin(base, paging.next_url) if base and paging.next_url else paging.next_url
        return items, next_url, paging.total
    with captured(source_id, base or "document"):  # rdflib's warnings: one line each
        graph = load_graph(data, content_type, base=base)
    paging = hydra_paging(graph)
    next_url = urljoin(base, paging.next_url) if base and paging.next_url else paging.next_url
    return read_graph(graph, source_id, languages), next_url, paging.total


class DcatSource:
    kind: ClassVar[str] = "dcat"
    Options: ClassVar[type[SourceSettings]] = DcatOptions

    def __init__(self, options: DcatOptions, context: SourceContext) -> None:
        self.options = options
        self.http = context.http()
        self.languages = tuple(options.languages)
        self.stream_above = int(options.stream_above_mib * 2**20)

    def harvest(self, since: datetime | None = None, cursor: str | None = None) -> Iterator[Page]:
        if since is not None:
            logger.info("%s: DCAT cannot ask for changes only; harvesting all", self.options.id)
        if self.options.url.startswith("file:"):
            yield from self._harvest_files(cursor)
        else:
            yield from self._harvest_http(cursor)

    def reparse(self, raw: bytes) -> list[Harvested]:
        """Parse a stored payload (one dataset's triples) again."""
        items, _, _ = read_dcat_document(raw, RAW_CONTENT_TYPE, self.options.id, self.languages)
        return list(items)

    # -- HTTP ------------------------------------------------------------------------------

    def _harvest_http(self, cursor: str | None) -> Iterator[Page]:
        skip, url = _split_cursor(cursor, self.options.url)
        visited: set[str] = set()
        previous_ids: list[str | None] | None = None
        for _ in range(self.options.max_pages):
            visited.add(url)
            first = cursor is None and not visited - {url}

            def fetch(_size: int, url: str = url, first: bool = first) -> tuple[Response, int]:
                if first:  # conditional: a 304 says the whole (unpaged) dump is unchanged
                    return self.http.fetch_document(url, headers={"Accept": ACCEPT}), 0
                return self.http.request("GET", url, headers={"Accept": ACCEPT}), 0

            def parse(response: Response, url: str = url) -> DcatPage | None:
                if response.not_modified:
                    return None
                return read_dcat_document(
                    response.body,
                    response.content_type,
                    self.options.id,
                    self.languages,
                    base=url,
                    stream_above=self.stream_above,
                )

            _, parsed, _ = self.http.page(fetch, parse)
            if parsed is None:
                yield Page([], not_modified=True)
                return
            items, next_url, total = parsed
            if first and next_url is not None:
                # A paged catalogue: an unchanged first page says nothing of the others.
                self.http.fresh.pop(url, None)
            if next_url == url or (next_url is not None and next_url in visited):
                pages = list(self._pages(items, url, skip, None, total))
                yield from pages[:-1]
                last = pages[-1]
                last.cursor = None
                last.notes.append(f"next page {next_url} was already harvested (a paging loop)")
                yield last
                return
            ids: list[str | None] = []
            for page in self._pages(items, url, skip, next_url, total):
                ids.extend(item.original_id for item in page.items)
                if page.cursor == _cursor(0, next_url) and next_url is not None:
                    if ids and ids == previous_ids:
                        page.cursor = None
                        page.notes.append(f"page {url} repeated the datasets of the previous one")
                        yield page
                        return
                    if not ids:
                        page.cursor = None
                        page.notes.append(f"page {url} holds no dataset but links to {next_url}")
                        yield page
                        return
                yield page
            if next_url is None:
                return
            previous_ids, url, skip = ids, next_url, 0
        yield Page([], notes=[f"stopped after max_pages={self.options.max_pages} pages"])

    def _pages(
        self,
        items: Iterator[Harvested],
        url: str,
        skip: int,
        next_url: str | None,
        total: int | None,
    ) -> Iterator[Page]:
        """The document's datasets in pages of page_size; the last page's cursor points at
        the next document. Always yields at least one page (possibly empty)."""
        done = skip
        items = islice(items, skip, None)
        batch = list(islice(items, self.options.page_size))
        while True:
            done += len(batch)
            following = list(islice(items, self.options.page_size))
            if following:
                yield Page(batch, cursor=_cursor(done, url), declared_total=total)
                batch = following
                continue
            yield Page(batch, cursor=_cursor(0, next_url), declared_total=total)
            return

    # -- files -----------------------------------------------------------------------------

    def _harvest_files(self, cursor: str | None) -> Iterator[Page]:
        """Files in name order; the cursor is "<file index>:<datasets done in it>" so a big
        dump resumes mid-file."""
        files = local_files(self.options.url, self.options.id, suffix_in(*SUFFIX_TYPES))
        first, _, skip_text = (cursor or "0").partition(":")
        first_index = int(first) if first.isdigit() else 0
        skip = int(skip_text) if skip_text.isdigit() else 0
        batch: list[Harvested] = []
        for index in range(first_index, len(files)):
            for done, item in enumerate(islice(self._file_items(files[index]), skip, None), 1):
                batch.append(item)
                if len(batch) >= self.options.page_size:
                    yield Page(batch, cursor=f"{index}:{skip + done}")
                    batch = []
            skip = 0
            if index == len(files) - 1:
                yield Page(batch, cursor=None)
            elif len(batch) >= self.options.page_size // 2:
                yield Page(batch, cursor=f"{index + 1}:0")
                batch = []

    def _file_items(self, file: Path) -> Iterator[Harvested]:
        try:
            data = file.read_bytes()
        except OSError as exc:
            yield _document_error(b"", f"{file.name}: cannot read: {exc}")
            return
        try:
            items, _, _ = read_dcat_document(
                data,
                SUFFIX_TYPES.get(file.suffix.lower()),
                self.options.id,
                self.languages,
                base=file.as_uri(),
                stream_above=self.stream_above,
            )
            first = next(items, None)
        except SourceError as exc:
            yield _document_error(data, f"{file.name}: {exc.message}")
            return
        if first is None:
            yield _document_error(data, f"{file.name}: {NO_DATASET}")
            return
        yield first
        yield from items


def _cursor(done: int, url: str | None) -> str | None:
    return None if url is None else f"{done}|{url}"


def _split_cursor(cursor: str | None, default_url: str) -> tuple[int, str]:
    if cursor:
        done, _, url = cursor.partition("|")
        if done.isdigit() and url:
            return int(done), url
    return 0, default_url


def _document_error(data: bytes, reason: str) -> Harvested:
    return Harvested(original_id=None, raw=data[:1_000_000], error=reason)
