"""The JSON the API returns, built from the core models.

One function per response so the HTTP blueprints and `moisson search --json` print exactly
the same thing, and so the OpenAPI document (search_api/openapi.py) has one place to match.

Facet buckets carry a `toggle` link, as Datasette does: following it adds the value to the
filters (or removes it when already selected) and goes back to page 1, so clients never
rebuild query strings themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from indexer.backends.base import FACETS
from indexer.store import RunRow
from moisson.config import Settings
from moisson.record import FacetBucket, FacetInfo, Hit, Query, Record, Results

__all__ = [
    "SEARCH_PATH",
    "echo_query",
    "error_body",
    "record_response",
    "run_summary",
    "search_response",
    "source_names",
    "toggle_link",
]

logger = logging.getLogger(__name__)

SEARCH_PATH = "/api/search"


def _kept_pairs(args: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """The request's arguments a toggle link keeps: all but `page` and empty values."""
    return [
        (name, item)
        for name, values in args.items()
        if name != "page"
        for item in values
        if item != ""
    ]


def toggle_link(args: Mapping[str, Sequence[str]], facet: str, value: str) -> str:
    """Relative URL of the same search with `facet=value` added, or removed when present.

    Starts from the request's own arguments (so q, bbox, sort... are kept as the user wrote
    them), drops `page` (a new filter makes the old page meaningless) and empty values.
    """
    return _Toggles(args).link(facet, value)


class _Toggles:
    """Toggle links for one response. The request's arguments are encoded once: a page of
    facets has ~70 buckets, and encoding the whole query for each was a fifth of the time
    of a search request."""

    def __init__(self, args: Mapping[str, Sequence[str]]) -> None:
        self.pairs = _kept_pairs(args)
        self.encoded = urlencode(self.pairs)

    def link(self, facet: str, value: str) -> str:
        if any(name == facet and item.strip() == value for name, item in self.pairs):
            rest = [(n, i) for n, i in self.pairs if not (n == facet and i.strip() == value)]
            return f"{SEARCH_PATH}?{urlencode(rest)}" if rest else SEARCH_PATH
        added = urlencode([(facet, value)])
        return f"{SEARCH_PATH}?{self.encoded}&{added}" if self.encoded else f"{SEARCH_PATH}?{added}"


def echo_query(query: Query) -> dict[str, Any]:
    """The query as understood after validation, so a client can show what was searched."""
    return {
        "q": query.q,
        "page": query.page,
        "size": query.size,
        "sort": query.sort,
        "lang": query.lang,
        "bbox": query.bbox.as_list() if query.bbox else None,
        "from": query.date_from.isoformat() if query.date_from else None,
        "to": query.date_to.isoformat() if query.date_to else None,
        "filters": {name: list(values) for name, values in query.filters.items()},
        "facet_size": query.facet_size,
        "collapse": query.collapse,
        # Words of q that are thesaurus labels: records under these concepts matched too.
        "expansions": [e.model_dump(mode="json") for e in query.expansions],
    }


def source_names(settings: Settings) -> dict[str, str]:
    """Source id -> the name a result line shows (config `name`, else the id)."""
    return {source.id: source.name or source.id for source in settings.sources}


def _hit(hit: Hit, names: Mapping[str, str]) -> dict[str, Any]:
    sources = [s.model_copy(update={"name": names.get(s.id, s.id)}) for s in hit.sources]
    return {
        "id": hit.id,
        "title": hit.title,
        "abstract": hit.abstract,
        "snippet": hit.snippet,
        "bbox": list(hit.bbox) if hit.bbox else None,
        "resource_type": hit.resource_type,
        "date": hit.date.isoformat() if hit.date else None,
        "links": [link.model_dump(mode="json") for link in hit.links],
        "sources": [source.model_dump(mode="json") for source in sources],
        # What a result line shows: each source once ("IGN, Géo2France"), best copy first.
        "source_names": list(dict.fromkeys(s.name or s.id for s in sources)),
        "themes": list(hit.themes),
    }


def _bucket(
    facet: str,
    bucket: FacetBucket,
    chosen: Sequence[str],
    toggles: _Toggles,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One facet bucket; a `source` bucket is labelled with the source's configured name."""
    selected = bucket.selected or bucket.value in chosen
    label = (names or {}).get(bucket.value, bucket.label) if facet == "source" else bucket.label
    return {
        "value": bucket.value,
        "label": label,
        "count": bucket.count,
        "selected": selected,
        "toggle": toggles.link(facet, bucket.value),
    }


def _facet_order(results: Results) -> list[str]:
    """FACETS order first (the order the UI shows), then anything else a backend added."""
    return [f for f in FACETS if f in results.facets] + [
        f for f in results.facets if f not in FACETS
    ]


def search_response(
    results: Results,
    query: Query,
    args: Mapping[str, Sequence[str]],
    source_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The body of GET /api/search (and of `moisson search --json`); `source_names` maps
    source ids to the names shown (config `name`), else the ids are shown."""
    names = source_names or {}
    facets = _facet_order(results)
    toggles = _Toggles(args)
    return {
        "total": results.total,
        "page": results.page,
        "size": results.size,
        "query": echo_query(query),
        "suggestion": results.suggestion,
        "corrected": results.corrected,
        "hits": [_hit(hit, names) for hit in results.hits],
        "facets": {
            name: [
                _bucket(name, bucket, query.filters.get(name, []), toggles, names)
                for bucket in results.facets[name]
            ]
            for name in facets
        },
        "facet_info": {
            name: results.facet_info.get(name, FacetInfo()).model_dump(mode="json")
            for name in facets
        },
    }


def _utc(value: datetime | None) -> datetime | None:
    """The store keeps naive UTC; say so on the wire (RFC 3339 needs an offset)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def record_response(record: Record) -> dict[str, Any]:
    """The full record with its provenance, as the Record model serialises it."""
    provenance = record.provenance.model_copy(
        update={
            "first_seen": _utc(record.provenance.first_seen),
            "last_seen": _utc(record.provenance.last_seen),
        }
    )
    return record.model_copy(update={"provenance": provenance}).model_dump(mode="json")


def run_summary(run: RunRow | None) -> dict[str, Any] | None:
    """The last harvest run of a source, as shown by GET /api/sources."""
    if run is None:
        return None
    return {
        "id": run.id,
        "status": run.status,
        "complete": run.complete,
        "started": _iso(run.started),
        "ended": _iso(run.ended),
        "pages": run.pages,
        "seen": run.seen,
        "new": run.new,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "quarantined": run.quarantined,
        "declared_total": run.declared_total,
        "message": run.message,
    }


def _iso(value: datetime | None) -> str | None:
    moment = _utc(value)
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def error_body(status: int, kind: str, message: str) -> dict[str, Any]:
    """The one error shape, for every endpoint and every failure."""
    return {"error": {"status": status, "type": kind, "message": message}}
