"""CKAN source: the Action API's `package_search`, paged with rows/start, ordered by
`metadata_modified asc`, or a file / folder of saved Action API responses.

- incremental runs add `fq=metadata_modified:[<since> TO *]` (CKAN stores UTC);
- `fq` from the config (organisation, group, tag...) is combined with it by AND;
- a `"success": false` body (with HTTP 200, or the 400/403/404/409 most versions send)
  raises SourceProtocolError with CKAN's own message;
- paging stops when a page is empty, when `start` reaches `count`, or when a page repeats
  the previous one (with a note: the run is then partial); `max_pages` bounds everything.

Ordering by modification date ascending means a dataset edited during the run moves to the
end of the result set instead of shifting the pages still to come (which would skip one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar, Literal

from pydantic import Field

from harvester.base import Page, SourceContext
from harvester.formats.ckan import ckan_error, read_ckan_document
from harvester.http import Response
from harvester.local_files import local_files, read_file_items, suffix_in
from moisson.config import SourceSettings
from moisson.errors import SourceProtocolError, SourceUnavailable
from moisson.record import Harvested

__all__ = ["CkanOptions", "CkanSource"]


ACTION = "/api/3/action/package_search"


# CKAN error types that blame the request, not the server's state.
REFUSALS = ("Validation Error", "Search Query Error", "Authorization Error", "Not Found Error")


class CkanOptions(SourceSettings):
    kind: Literal["ckan"] = "ckan"
    page_size: int = Field(100, ge=1, le=1000, description="`rows` asked per package_search.")
    fq: str | None = Field(
        None,
        description="Solr filter added to every search, e.g. `organization:dreal-bretagne` "
        "or `groups:environnement` or `tags:eau`.",
    )
    incremental: bool = Field(
        True, description="After a complete run, ask only for packages modified since it."
    )
    languages: list[str] = Field(
        ["fr", "en"], description="Preferred languages for ckanext-scheming translated fields."
    )
    max_pages: int = Field(100_000, ge=1, description="Safety stop for servers that never end.")


class CkanSource:
    kind: ClassVar[str] = "ckan"
    Options: ClassVar[type[SourceSettings]] = CkanOptions

    def __init__(self, options: CkanOptions, context: SourceContext) -> None:
        self.options = options
        self.http = context.http()
        self.languages = tuple(options.languages)

    @property
    def search_url(self) -> str:
        url = self.options.url.rstrip("/")
        return url if url.endswith(ACTION) else url + ACTION

    @property
    def portal_url(self) -> str | None:
        url = self.options.url.rstrip("/")
        return url[: -len(ACTION)] if url.endswith(ACTION) else url

    def harvest(self, since: datetime | None = None, cursor: str | None = None) -> Iterator[Page]:
        if self.options.url.startswith("file:"):
            yield from self._harvest_files(cursor)
        else:
            yield from self._harvest_http(since, cursor)

    def reparse(self, raw: bytes) -> list[Harvested]:
        return read_ckan_document(raw, self.options.id, self.languages, self.portal_url).items

    def filter_query(self, since: datetime | None) -> str | None:
        clauses = []
        if self.options.fq:
            clauses.append(self.options.fq)
        if since is not None:
            moment = since.astimezone(UTC) if since.tzinfo else since
            clauses.append(f"metadata_modified:[{moment.strftime('%Y-%m-%dT%H:%M:%SZ')} TO *]")
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else " AND ".join(f"({c})" for c in clauses)

    def _search(self, start: int, rows: int, fq: str | None) -> Response:
        """One package_search request. A CKAN error answer (4xx with a JSON reason, or a 200
        whose error type says the request itself is wrong) is a protocol error, not an outage,
        and is not asked again; other error bodies sent with 200 (a search backend down)
        are retried by HttpClient.page like any unreadable page."""
        params = {"rows": str(rows), "start": str(start), "sort": "metadata_modified asc"}
        if fq:
            params["fq"] = fq
        try:
            response = self.http.request("GET", self.search_url, params=params)
        except SourceUnavailable as exc:
            reason = ckan_error(exc.detail)
            if reason is None:
                raise
            raise SourceProtocolError(
                f"CKAN refused the request: {reason}", detail=exc.message
            ) from exc
        reason = ckan_error(response.body)
        if reason is not None and reason.startswith(REFUSALS):
            # Sent with 200 by some versions; asking again would get the same answer.
            raise SourceProtocolError(f"CKAN refused the request: {reason}")
        return response

    def _harvest_http(self, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        start = int(cursor) if cursor and cursor.isdigit() else 0
        rows = self.options.page_size
        fq = self.filter_query(since)
        previous_hash = ""
        for _ in range(self.options.max_pages):
            _, doc, rows = self.http.page(
                lambda n, start=start: (self._search(start, n, fq), n),
                lambda response: read_ckan_document(
                    response.body, self.options.id, self.languages, self.portal_url
                ),
                size=rows,
                floor=max(1, self.options.page_size // 8),
            )
            page_hash = hashlib.sha256(b"\0".join(item.raw for item in doc.items)).hexdigest()
            if doc.items and page_hash == previous_hash:
                yield Page([], notes=[f"page at start={start} repeated the previous one"])
                return
            previous_hash = page_hash
            received = len(doc.items)
            next_start = start + received
            done = received == 0 or (doc.count is not None and next_start >= doc.count)
            if received == 0 and doc.count is not None and start < doc.count:
                yield Page(
                    [],
                    declared_total=doc.count,
                    notes=[f"empty page at start={start} while CKAN declared {doc.count}"],
                )
                return
            yield Page(
                doc.items,
                cursor=None if done else str(next_start),
                declared_total=doc.count,
            )
            if done:
                return
            start = next_start
        yield Page([], notes=[f"stopped after max_pages={self.options.max_pages} pages"])

    def _harvest_files(self, cursor: str | None) -> Iterator[Page]:
        files = local_files(self.options.url, self.options.id, suffix_in(".json"))
        first = int(cursor) if cursor and cursor.isdigit() else 0
        for index in range(first, len(files)):
            items = read_file_items(
                files[index],
                lambda data: read_ckan_document(data, self.options.id, self.languages).items,
            )
            yield Page(items, cursor=str(index + 1) if index + 1 < len(files) else None)
