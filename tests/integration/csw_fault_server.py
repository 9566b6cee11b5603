"""A small CSW 2.0.2 GetRecords server for fault-injection tests, served by ReplayServer on
127.0.0.1: real HTTP, real paging by startPosition/maxRecords, real ISO 19139 records, and
faults scripted per startPosition (500s, 429 + Retry-After, resets, truncated pages, an HTML
error page with status 200, a lying numberOfRecordsMatched, an invalid record)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from testkit.http_replay import Reply, Request

GMD = "http://www.isotc211.org/2005/gmd"
GCO = "http://www.isotc211.org/2005/gco"


def iso_record(record_id: str, title: str | None = None) -> str:
    title = title or f"Jeu de données {record_id}"
    return (
        f'<gmd:MD_Metadata xmlns:gmd="{GMD}" xmlns:gco="{GCO}">'
        f"<gmd:fileIdentifier><gco:CharacterString>{record_id}</gco:CharacterString>"
        "</gmd:fileIdentifier><gmd:identificationInfo><gmd:MD_DataIdentification>"
        "<gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>"
        f"{title}</gco:CharacterString></gmd:title></gmd:CI_Citation></gmd:citation>"
        f"<gmd:abstract><gco:CharacterString>Résumé de {record_id}</gco:CharacterString>"
        "</gmd:abstract></gmd:MD_DataIdentification></gmd:identificationInfo></gmd:MD_Metadata>"
    )


def invalid_record(record_id: str) -> str:
    """A record with its id but no title: the parser quarantines it."""
    return (
        f'<gmd:MD_Metadata xmlns:gmd="{GMD}" xmlns:gco="{GCO}"><gmd:fileIdentifier>'
        f"<gco:CharacterString>{record_id}</gco:CharacterString></gmd:fileIdentifier>"
        "</gmd:MD_Metadata>"
    )


def start_and_size(request: Request) -> tuple[int, int]:
    start = re.search(rb'startPosition="(\d+)"', request.body)
    size = re.search(rb'maxRecords="(\d+)"', request.body)
    return (int(start.group(1)) if start else 1, int(size.group(1)) if size else 10)


@dataclass
class CswCatalogue:
    """`ids` is the catalogue; `faults` maps a startPosition to replies served (in order,
    once each) instead of the page; `declared` overrides numberOfRecordsMatched;
    `invalid` ids are served as a record the parser must quarantine."""

    ids: list[str]
    faults: dict[int, list[Reply]] = field(default_factory=dict)
    declared: int | None = None
    invalid: set[str] = field(default_factory=set)
    delay: float = 0.0
    starts: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, start: int, replies: Iterable[Reply]) -> None:
        with self._lock:
            self.faults.setdefault(start, []).extend(replies)

    def __call__(self, request: Request) -> Reply:
        start, size = start_and_size(request)
        with self._lock:
            self.starts.append(start)
            scripted = self.faults.get(start)
            if scripted:
                return scripted.pop(0)
            ids = list(self.ids)
        page = ids[start - 1 : start - 1 + size]
        matched = len(ids) if self.declared is None else self.declared
        after = start + len(page)
        next_record = after if page and after <= matched else 0
        body = "".join(invalid_record(i) if i in self.invalid else iso_record(i) for i in page)
        return Reply(
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" '
                'version="2.0.2"><csw:SearchStatus timestamp="2024-01-01T00:00:00Z"/>'
                f'<csw:SearchResults numberOfRecordsMatched="{matched}" '
                f'numberOfRecordsReturned="{len(page)}" nextRecord="{next_record}" '
                f'elementSet="full">{body}</csw:SearchResults></csw:GetRecordsResponse>'
            ).encode(),
            delay=self.delay,
        )


HTML_ERROR = Reply(
    b"<html><body><h1>Maintenance</h1></body></html>", status=200, content_type="text/html"
)
