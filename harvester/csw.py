"""OGC CSW 2.0.2 source: GetRecords paging over HTTP, or a folder of saved XML files.

Paging follows startPosition / nextRecord but trusts neither blindly, because real servers
lie: GeoNetwork pages that claim nextRecord far ahead, servers that return nextRecord=0
before numberOfRecordsMatched is reached, or loop on the same page. The rules:

- next position = nextRecord when it advances, else startPosition + records received;
- an empty page, a page identical to the previous one, or a position that does not advance
  ends the run, with a note that makes it partial (never complete, so nothing is retired);
- a page that is an ows:ExceptionReport or not XML (truncated, an HTML error page sent with
  200) is asked again like a 5xx (HttpClient.page), then raises SourceProtocolError;
- a page that keeps failing (timeouts, 5xx: big pages are what overloaded servers drop) is
  asked again with half as many records, down to page_size / 8, and the smaller size kept.

ISO 19139 is asked for when the server offers it (GetCapabilities outputSchema), Dublin Core
csw:Record otherwise. Incremental runs add a constraint on apiso:Modified.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import ClassVar, Literal
from xml.sax.saxutils import escape

from pydantic import Field

from harvester.base import Page, SourceContext
from harvester.formats.csw_response import read_document
from harvester.formats.xmlsafe import parse_xml
from harvester.http import Response
from harvester.local_files import local_files, read_file_items, suffix_in
from moisson.config import SourceSettings
from moisson.errors import SourceError, SourceUnavailable
from moisson.record import Harvested

__all__ = ["CswOptions", "CswSource"]

logger = logging.getLogger(__name__)

GMD = "http://www.isotc211.org/2005/gmd"
CSW = "http://www.opengis.net/cat/csw/2.0.2"
OWS_NS = {"ows": "http://www.opengis.net/ows"}


class CswOptions(SourceSettings):
    kind: Literal["csw"] = "csw"
    page_size: int = Field(50, ge=1, le=1000, description="Records asked per GetRecords page.")
    output_schema: Literal["auto", "iso19139", "dc"] = Field(
        "auto",
        description="`auto` asks for ISO 19139 when GetCapabilities offers it, else Dublin Core.",
    )
    incremental: bool = Field(
        True, description="After a complete run, ask only for records modified since it."
    )
    max_pages: int = Field(100_000, ge=1, description="Safety stop for servers that never end.")


def _get_records_body(start: int, size: int, schema: str, since: datetime | None) -> bytes:
    output_schema = GMD if schema == "iso19139" else CSW
    constraint = ""
    if since is not None:
        constraint = (
            '<csw:Constraint version="1.1.0"><ogc:Filter>'
            "<ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyName>apiso:Modified"
            f"</ogc:PropertyName><ogc:Literal>{escape(since.date().isoformat())}</ogc:Literal>"
            "</ogc:PropertyIsGreaterThanOrEqualTo></ogc:Filter></csw:Constraint>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<csw:GetRecords xmlns:csw="{CSW}" xmlns:ogc="http://www.opengis.net/ogc" '
        'xmlns:apiso="http://www.opengis.net/cat/csw/apiso/1.0" '
        'service="CSW" version="2.0.2" resultType="results" '
        f'startPosition="{start}" maxRecords="{size}" outputSchema="{output_schema}">'
        '<csw:Query typeNames="csw:Record"><csw:ElementSetName>full</csw:ElementSetName>'
        f"{constraint}</csw:Query></csw:GetRecords>"
    ).encode()


class CswSource:
    kind: ClassVar[str] = "csw"
    Options: ClassVar[type[SourceSettings]] = CswOptions

    def __init__(self, options: CswOptions, context: SourceContext) -> None:
        self.options = options
        self.http = context.http()

    def harvest(self, since: datetime | None = None, cursor: str | None = None) -> Iterator[Page]:
        if self.options.url.startswith("file:"):
            yield from self._harvest_files(cursor)
        else:
            yield from self._harvest_http(since, cursor)

    def reparse(self, raw: bytes) -> list[Harvested]:
        """Parse a stored payload again (quarantined records are retried on the next run)."""
        return read_document(raw, self.options.id).items

    # -- HTTP ------------------------------------------------------------------------------

    def _schema(self) -> str:
        if self.options.output_schema != "auto":
            return self.options.output_schema
        try:
            caps = self.http.request(
                "GET",
                self.options.url,
                params={"service": "CSW", "request": "GetCapabilities", "version": "2.0.2"},
            )
            root = parse_xml(caps.body)
        except SourceError as exc:
            logger.info("GetCapabilities failed (%s); asking for ISO 19139", exc.message)
            return "iso19139"
        offered = root.xpath(
            "//ows:Operation[@name='GetRecords']/ows:Parameter[@name='outputSchema']/ows:Value"
            "/text()",
            namespaces=OWS_NS,
        )
        return "iso19139" if not offered or GMD in offered else "dc"

    def _harvest_http(self, since: datetime | None, cursor: str | None) -> Iterator[Page]:
        schema = self._schema()
        start = int(cursor) if cursor else 1
        size = self.options.page_size
        previous_hash = ""
        for _ in range(self.options.max_pages):
            _, doc, size = self.http.page(
                lambda n, start=start: self._get_records(start, n, schema, since),
                lambda response: read_document(response.body, self.options.id),
                size=size,
                floor=max(1, self.options.page_size // 8),
            )
            # Hash the records, not the response: envelopes carry per-request timestamps.
            page_hash = hashlib.sha256(b"".join(item.raw for item in doc.items)).hexdigest()
            if doc.items and page_hash == previous_hash:
                yield Page([], notes=[f"page at startPosition {start} repeated the previous one"])
                return
            previous_hash = page_hash
            received = len(doc.items)
            next_start = self._next_position(start, received, doc.next_record, doc.matched)
            if doc.next_record and next_start and doc.next_record != next_start:
                logger.info(
                    "%s: nextRecord %s ignored, continuing at %s",
                    self.options.id,
                    doc.next_record,
                    next_start,
                )
            yield Page(
                doc.items,
                cursor=str(next_start) if next_start else None,
                declared_total=doc.matched,
            )
            if next_start is None:
                return
            start = next_start
        yield Page([], notes=[f"stopped after max_pages={self.options.max_pages} pages"])

    def _get_records(
        self, start: int, size: int, schema: str, since: datetime | None
    ) -> tuple[Response, int]:
        """One GetRecords page. When it fails even after the HTTP policy's retries (servers
        that time out or 5xx on large pages), ask again for half as many records, down to an
        eighth of the configured page size; the smaller size is kept for the next pages."""
        floor = max(1, self.options.page_size // 8)
        while True:
            try:
                response = self.http.request(
                    "POST",
                    self.options.url,
                    content=_get_records_body(start, size, schema, since),
                    headers={"Content-Type": "application/xml"},
                )
                return response, size
            except SourceUnavailable as exc:
                if size <= floor:
                    raise
                size = max(floor, size // 2)
                logger.info(
                    "%s: page at %d failed (%s); asking %d records per page",
                    self.options.id,
                    start,
                    exc.message,
                    size,
                )

    @staticmethod
    def _next_position(
        start: int, received: int, next_record: int | None, matched: int | None
    ) -> int | None:
        """Where the next page starts, or None when the catalogue is exhausted.

        The position is computed from what actually arrived, never taken from nextRecord:
        a nextRecord that jumps ahead would skip records, one that goes back would loop.
        nextRecord only says whether the server believes more exist; numberOfRecordsMatched
        bounds it, and an empty page ends the run.
        """
        if received == 0:
            return None
        computed = start + received
        if matched is not None:
            return computed if computed <= matched else None
        return computed if next_record else None

    # -- files -----------------------------------------------------------------------------

    def _harvest_files(self, cursor: str | None) -> Iterator[Page]:
        files = local_files(self.options.url, self.options.id, suffix_in(".xml"))
        first = int(cursor) if cursor else 0
        batch: list[Harvested] = []
        for index in range(first, len(files)):
            batch += read_file_items(
                files[index], lambda data: read_document(data, self.options.id).items
            )
            if len(batch) >= self.options.page_size or index == len(files) - 1:
                yield Page(batch, cursor=str(index + 1))
                batch = []
