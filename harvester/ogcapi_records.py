"""OGC API - Records source: a collection's `/items`, paged by following `rel=next` links.

`url` is the collection (`.../collections/{id}`) or its items URL, or `file:` for saved
items responses (a file or a folder of .json files). Pages are asked with
`limit=page_size` and `f=json`; each next link is followed as given (servers encode their
own offsets or tokens). Paging stops when there is no next link; a next link already
visited, a page repeating the previous one, or an empty page that still links onwards ends
the run with a note (partial: nothing is retired); `max_pages` bounds everything. A page
whose body does not parse is asked again like a 5xx (HttpClient.page; next links carry the
server's own limit, so the page size is not changed).

Incremental runs (option `incremental`, off by default because Part 1 has no standard
"modified since" parameter) send a CQL2 text filter `updated >= TIMESTAMP('<since>')`,
which pygeoapi and other servers with the Filtering extension understand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar, Literal
from urllib.parse import urljoin

from pydantic import Field

from harvester.base import Page, SourceContext
from harvester.formats.ogcapi_records import read_records_page
from harvester.local_files import local_files, read_file_items, suffix_in
from moisson.config import SourceSettings
from moisson.record import Harvested

__all__ = ["OgcApiRecordsOptions", "OgcApiRecordsSource"]


class OgcApiRecordsOptions(SourceSettings):
    kind: Literal["ogcapi-records"] = "ogcapi-records"
    page_size: int = Field(100, ge=1, le=10_000, description="`limit` asked per items page.")
    incremental: bool = Field(
        False,
        description="After a complete run, send a CQL2 filter on `updated` (servers with the "
        "Filtering extension only).",
    )
    max_pages: int = Field(100_000, ge=1, description="Safety stop for servers that never end.")


class OgcApiRecordsSource:
    kind: ClassVar[str] = "ogcapi-records"
    Options: ClassVar[type[SourceSettings]] = OgcApiRecordsOptions

    def __init__(self, options: OgcApiRecordsOptions, context: SourceContext) -> None:
        self.options = options
        self.http = context.http()

    @property
    def items_url(self) -> str:
        url = self.options.url.split("?", 1)[0].rstrip("/")
        return url if url.endswith("/items") else url + "/items"

    def reparse(self, raw: bytes) -> list[Harvested]:
        return read_records_page(raw, self.options.id).items

    def harvest(self, since: datetime | None = None, cursor: str | None = None) -> Iterator[Page]:
        if self.options.url.startswith("file:"):
            yield from self._harvest_files(cursor)
        else:
            yield from self._harvest_http(since, cursor)

    def _harvest_files(self, cursor: str | None) -> Iterator[Page]:
        """A saved items response or record (.json), or a folder of them; one page each."""
        files = local_files(self.options.url, self.options.id, suffix_in(".json"))
        first = int(cursor) if cursor and cursor.isdigit() else 0
        for index in range(first, len(files)):
            items = read_file_items(
                files[index], lambda data: read_records_page(data, self.options.id).items
            )
            yield Page(items, cursor=str(index + 1) if index + 1 < len(files) else None)

    def _harvest_http(self, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        url = cursor or self.items_url
        params: dict[str, str] | None = None
        if cursor is None:
            params = {"limit": str(self.options.page_size), "f": "json"}
            if since is not None:
                moment = since.astimezone(UTC) if since.tzinfo else since
                params["filter"] = f"updated >= TIMESTAMP('{moment:%Y-%m-%dT%H:%M:%SZ}')"
                params["filter-lang"] = "cql2-text"
        visited: set[str] = set()
        previous_hash = ""
        for _ in range(self.options.max_pages):
            response, page, _ = self.http.page(
                lambda _size, url=url, params=params: (
                    self.http.request(
                        "GET", url, params=params, headers={"Accept": "application/geo+json"}
                    ),
                    0,
                ),
                lambda response: read_records_page(response.body, self.options.id),
            )
            visited.add(response.url)
            next_url = urljoin(response.url, page.next_href) if page.next_href else None
            page_hash = hashlib.sha256(b"\0".join(i.raw for i in page.items)).hexdigest()
            notes: list[str] = []
            if page.items and page_hash == previous_hash:
                yield Page([], notes=[f"page {response.url} repeated the previous one"])
                return
            if next_url is not None and (next_url in visited or next_url == url):
                notes.append(f"next link {next_url} was already harvested (a paging loop)")
            elif next_url is not None and not page.items:
                notes.append(f"empty page {response.url} still links to {next_url}")
            previous_hash = page_hash
            stop = next_url is None or bool(notes)
            yield Page(
                page.items,
                cursor=None if stop else next_url,
                declared_total=page.matched,
                notes=notes,
            )
            if stop:
                return
            assert next_url is not None
            url, params = next_url, None
        yield Page([], notes=[f"stopped after max_pages={self.options.max_pages} pages"])
