"""What a Record becomes in a search index, the same for every backend.

The hit payload (what a result list shows), the facet values (one list per facet of FACETS)
and the three searchable fields are derived here once, so the embedded index and OpenSearch
cannot disagree on what 'organisation' or 'year' means for a record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from moisson.record import Record

__all__ = ["facet_values", "hit_payload", "searchable_fields"]

logger = logging.getLogger(__name__)


def _dedupe(values: Iterable[str | None]) -> list[str]:
    """Stripped, non-empty, deduplicated case-insensitively keeping the first spelling."""
    seen: dict[str, str] = {}
    for value in values:
        text = (value or "").strip()
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
    return list(seen.values())


def facet_values(record: Record) -> dict[str, list[str]]:
    """Facet name (one of FACETS in indexer/backends/base.py) -> the record's values for it;
    empty facets omitted."""
    reference = record.reference_date()
    values = {
        "source": [record.provenance.source_id],
        "organisation": _dedupe(c.organisation for c in record.contacts),
        "keyword": _dedupe(k.label for k in record.keywords),
        "resource_type": _dedupe([record.resource_type]),
        "format": _dedupe(record.formats),
        "protocol": _dedupe(link.protocol for link in record.links),
        "year": [str(reference.year)] if reference else [],
    }
    return {name: found for name, found in values.items() if found}


def _envelope(record: Record) -> list[float] | None:
    """One box for display: the union of the record's boxes."""
    if not record.bboxes:
        return None
    return [
        min(b.west for b in record.bboxes),
        min(b.south for b in record.bboxes),
        max(b.east for b in record.bboxes),
        max(b.north for b in record.bboxes),
    ]


def hit_payload(record: Record) -> dict[str, Any]:
    """The fields of moisson.record.Hit that come from the record, JSON-ready."""
    reference = record.reference_date()
    return {
        "id": record.id,
        "title": record.title,
        "abstract": record.abstract,
        "bbox": _envelope(record),
        "resource_type": record.resource_type,
        "date": reference.isoformat() if reference else None,
        "links": [link.model_dump(mode="json", exclude_none=True) for link in record.links],
        "sources": [
            {"id": record.provenance.source_id, "original_id": record.provenance.original_id}
        ],
        "themes": [],
    }


def searchable_fields(record: Record) -> dict[str, str]:
    """Text of the three searchable fields, before analysis. Keywords include ISO topic
    categories, which users search like keywords ('inlandWaters' aside, most are words)."""
    return {
        "title": record.title,
        "keywords": " ; ".join([k.label for k in record.keywords] + record.topic_categories),
        "abstract": record.abstract or "",
    }
