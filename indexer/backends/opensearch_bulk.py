"""Writing to OpenSearch: what a record becomes (`document`), bulk requests in batches with
retries of rejected items (`bulk`, `send`), and the translation of opensearch-py's errors
(`translated`) that indexer/backends/opensearch.py uses for every call.

Text fields are analysed here, not on the node (analysis.paired_stems): each word becomes its French
and English Snowball stems from indexer/analysis.py, the very stems the query side sends, and
the mapping's `moisson_stemmed` analyser only splits them. The node's multiplexer of two
stemmers cost ~40% of its indexing CPU (bench/README.md "OpenSearch bulk indexing"); the
client's word cache makes the same work cheap, and index and query can no longer disagree.

A batch is serialised once to NDJSON; the next one is prepared in a helper thread while
SENDERS requests are in flight. Bulk responses are cut to each item's status and error
(`filter_path`), which is all `send` reads. Items rejected for load (429, 5xx) are retried
with exponential backoff; any other failure stops and raises BackendError with the counts,
so the number of records indexed always equals the number sent or the caller is told the
difference.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import opensearchpy
import orjson
from opensearchpy import OpenSearch

from indexer.analysis import paired_stems, tokenise
from indexer.backends.documents import (
    CLUSTER_SOURCE,
    EXTRA_KEYWORDS,
    OUTRANKED,
    access_values,
    collapse_values,
    date_values,
    facet_values,
    hit_payload,
    keyword_values,
    searchable_fields,
)
from moisson.errors import BackendError, BackendUnavailable, BadQuery
from moisson.record import BBox, Record

__all__ = [
    "BATCH",
    "SENDERS",
    "SUGGEST_SEPARATOR",
    "bulk",
    "document",
    "line",
    "send",
    "translated",
]

logger = logging.getLogger(__name__)

BATCH = 1000  # records per bulk request
SENDERS = 2  # bulk requests in flight at once (see bulk)
_BATCH_BYTES = 8 * 1024 * 1024
_RETRIES = 6  # attempts for rejected bulk items: 0.25 s, 0.5 s, ... 8 s between them
_RETRY_STATUS = {429, 500, 502, 503, 504}
SUGGEST_SEPARATOR = "\u0001"  # between a keyword's normalised form and its spelling
# Only what send() reads of a bulk response: the node serialises, and the client parses, less.
_BULK_RESPONSE = "errors,items.*.status,items.*.error"


def _shape(box: BBox) -> dict[str, Any]:
    """A box as GeoJSON for geo_shape: degenerate boxes become points or lines."""
    if box.west == box.east and box.south == box.north:
        return {"type": "point", "coordinates": [box.west, box.south]}
    if box.west == box.east or box.south == box.north:
        return {
            "type": "linestring",
            "coordinates": [[box.west, box.south], [box.east, box.north]],
        }
    return {"type": "envelope", "coordinates": [[box.west, box.north], [box.east, box.south]]}


def document(record: Record, *, stem: bool = True) -> dict[str, Any]:
    """What OpenSearch stores for a record (the mapping is mappings/opensearch-index.json).
    `stem=False` sends the text as given, for an index built before `moisson_stemmed`
    (its fields still analyse on the node) until `moisson reindex`."""
    texts = searchable_fields(record)
    if stem:
        # The mapping's moisson_stemmed analyser splits these on spaces, then each
        # 'french|english' into two terms at the word's position (as the multiplexer of two
        # Snowball filters did on the node), so phrases and either language's stem match.
        texts = {name: paired_stems(text) for name, text in texts.items()}
    facets = facet_values(record)
    reference = record.reference_date()
    shapes = [_shape(box) for box in record.bboxes]
    extent: dict[str, Any] | None = None
    if len(shapes) == 1:
        extent = shapes[0]
    elif shapes:
        extent = {"type": "geometrycollection", "geometries": shapes}
    payload = hit_payload(record)
    collapsed = collapse_values(record)
    return {
        "id": record.id,
        "title": texts["title"],
        "keywords": texts["keywords"],
        "abstract": texts["abstract"],
        "title_key": " ".join(tokenise(record.title)),
        "keyword_suggest": [
            f"{' '.join(tokenise(value))}{SUGGEST_SEPARATOR}{value}"
            for value in facets.get("keyword", [])
        ],
        "date": reference.isoformat() if reference else None,
        "extent": extent,
        "language": record.language,
        "access": access_values(record),
        # The search collapse (documents.OUTRANKED, CLUSTER_SOURCE): top-level keyword fields.
        "outranked": collapsed[OUTRANKED],
        "cluster_source": collapsed[CLUSTER_SOURCE],
        "facets": facets,
        # Keyword fields beyond the facets (opensearch_query.FIELD_PATHS: id and language
        # are top-level) and the dates but the reference one, for filters and sorts.
        "fields": {
            name: found
            for name, found in keyword_values(record).items()
            if name in EXTRA_KEYWORDS and name not in {"id", "language"}
        },
        "dates": {
            name: value.isoformat() for name, value in date_values(record).items() if name != "date"
        },
        "payload": payload,
    }


def line(action: dict[str, Any], source: dict[str, Any] | None = None) -> str:
    """One bulk item as NDJSON: the action line, then the document line if any."""
    text = orjson.dumps(action).decode() + "\n"
    if source is not None:  # orjson: compact UTF-8, as json.dumps(ensure_ascii=False), ~4x faster
        text += orjson.dumps(source).decode() + "\n"
    return text


def prepare(records: list[Record], stem: bool = True) -> list[str]:
    """Bulk index items of `records`, serialised once."""
    return [line({"index": {"_id": r.id}}, document(r, stem=stem)) for r in records]


def chunks(items: list[str]) -> Iterator[list[str]]:
    """Split a batch so no request body exceeds _BATCH_BYTES (large abstracts)."""
    chunk: list[str] = []
    size = 0
    for item in items:
        if chunk and size + len(item) > _BATCH_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += len(item)
    if chunk:
        yield chunk


@contextmanager
def translated(action: str) -> Iterator[None]:
    """opensearch-py's errors -> the BackendError tree, chained."""
    try:
        yield
    except (opensearchpy.ConnectionError, opensearchpy.ConnectionTimeout) as exc:
        raise BackendUnavailable(
            f"the OpenSearch cluster is not reachable while {action}; try again later",
            detail=str(exc),
        ) from exc
    except opensearchpy.TransportError as exc:
        if "maxClauseCount" in str(exc) or "too_many_clauses" in str(exc):
            raise BadQuery(
                "the query expands to too many terms for the search index; simplify it",
                detail=str(exc),
            ) from exc
        if exc.status_code in {503, 429}:
            raise BackendUnavailable(
                f"the OpenSearch cluster is busy or unavailable while {action}",
                detail=str(exc),
            ) from exc
        raise BackendError(f"OpenSearch failed while {action}", detail=str(exc)) from exc
    except opensearchpy.OpenSearchException as exc:
        raise BackendError(f"OpenSearch failed while {action}", detail=str(exc)) from exc


def bulk(client: OpenSearch, index: str, records: Iterator[Record], *, stem: bool = True) -> int:
    """Index `records` into `index` in batches; how many were written. If any item cannot
    be written after retries, raises BackendError saying how many were written before.

    The next batch is prepared (documents built and serialised, Python work) in a helper
    thread while SENDERS requests are in flight (waiting on the cluster): OpenSearch indexes
    concurrent bulk requests into one shard on as many write threads, so the node's cores
    and the client's all work (one request at a time left the node's second core idle:
    issue 19). Batches in flight together may hold the same id only if `records` repeats
    one, and then either version may win: callers pass unique ids (index() dedupes, reindex
    reads the store). `stem`: see document()."""
    written = 0
    failed: BackendError | None = None
    in_flight: deque[Future[int]] = deque()

    def settle(future: Future[int]) -> None:
        nonlocal written, failed
        try:
            written += future.result()
        except BackendError as exc:
            failed = failed or exc

    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-prepare") as preparing,
        ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="bulk-send") as sending,
    ):
        upcoming = preparing.submit(prepare, list(itertools.islice(records, BATCH)), stem)
        while failed is None and (items := upcoming.result()):
            upcoming = preparing.submit(prepare, list(itertools.islice(records, BATCH)), stem)
            for chunk in chunks(items):
                in_flight.append(sending.submit(send, client, index, chunk))
                while len(in_flight) >= SENDERS:
                    settle(in_flight.popleft())
        while in_flight:
            settle(in_flight.popleft())
        upcoming.cancel()
    if failed is not None:
        if written:
            failed.message = f"{written} records written before; {failed.message}"
            failed.args = (failed.message,)
        raise failed
    return written


def send(client: OpenSearch, index: str, items: list[str], *, missing_ok: bool = False) -> int:
    """One bulk request (items: NDJSON action [+ source] lines), retrying the items the
    cluster rejects for load; the number of items done."""
    pending = items
    done = 0
    failures: list[str] = []
    for attempt in range(_RETRIES + 1):
        try:
            with translated("writing to the index"):
                response = client.bulk(
                    body="".join(pending), index=index, params={"filter_path": _BULK_RESPONSE}
                )
        except BackendUnavailable:
            if attempt == _RETRIES:
                raise
            time.sleep(0.25 * 2**attempt)
            continue
        retry = []
        failures = []
        for item, result in zip(pending, response["items"], strict=True):
            outcome = next(iter(result.values()))
            status = int(outcome.get("status", 500))
            if status < 300 or (missing_ok and status == 404):
                done += 1
            elif status in _RETRY_STATUS:
                retry.append(item)
            else:
                action = json.loads(item.partition("\n")[0])
                failures.append(f"{next(iter(action.values()))['_id']}: {outcome.get('error')}")
        if failures:
            break
        if retry:
            logger.warning(
                "%d of %d bulk items rejected (attempt %d); retrying",
                len(retry),
                len(pending),
                attempt + 1,
            )
        pending = retry
        if not pending:
            return done
        time.sleep(0.25 * 2**attempt)
    lost = len(items) - done
    reason = failures[0] if failures else "still rejected after retries (cluster overloaded)"
    raise BackendError(
        f"indexed {done} of {len(items)} items in a batch; {lost} not written: {reason}",
        detail="; ".join(failures[:20]),
    )
