"""CKAN Action API JSON -> Records (pure: bytes or dicts in, Harvested items out).

Reads the envelopes CKAN and its look-alikes send: `package_search` (`result.results`,
`result.count`), `package_show` (`result` is the package), DKAN's `result` as a list, and a
bare package dict (what ckanext-dcat and dumps hold). `"success": false` is a source-level
error (SourceProtocolError with CKAN's message), never an empty page.

Identity precedence: the package `id` (CKAN's UUID, stable across renames), then `name`.
`identifier` / `guid` extras (often the ISO fileIdentifier of a harvested record) are kept
as identifiers so duplicates can be folded by the indexer. The field mapping of one package
is harvester/formats/ckan_package.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from harvester.formats import jsonsafe
from harvester.formats.ckan_package import record_from_package, text_of
from moisson.errors import SourceProtocolError
from moisson.record import (
    Harvested,
)

__all__ = [
    "CkanDocument",
    "ckan_error",
    "harvest_package",
    "read_ckan_document",
    "record_from_package",
]

JSON_CONTENT_TYPE = "application/json"
# Resource formats that are web pages or APIs, not files to download.


@dataclass
class CkanDocument:
    items: list[Harvested] = field(default_factory=list)
    count: int | None = None  # what package_search says matched


def _loads(data: bytes) -> Any:
    try:
        return jsonsafe.loads(data, what="the CKAN answer")
    except ValueError as exc:
        head = data[:200].decode("utf-8", "replace")
        raise SourceProtocolError(
            f"CKAN answered something that is not JSON: {exc}", detail=head
        ) from exc


def read_ckan_document(
    data: bytes,
    source_id: str,
    languages: tuple[str, ...] = ("fr", "en"),
    portal_url: str | None = None,
) -> CkanDocument:
    """Items of one Action API response (or bare package). Raises SourceProtocolError for
    `success: false`, non-JSON, or JSON that holds no package."""
    body = _loads(data)
    if isinstance(body, dict) and "success" in body:
        if body.get("success") is not True:
            raise SourceProtocolError(f"CKAN refused the request: {_error_text(body.get('error'))}")
        result = body.get("result")
    else:
        result = body
    count: int | None = None
    if isinstance(result, dict) and isinstance(result.get("results"), list):
        packages = result["results"]
        count = result.get("count") if isinstance(result.get("count"), int) else None
    elif isinstance(result, dict) and ("name" in result or "id" in result):
        packages = [result]
    elif isinstance(result, list) and all(isinstance(p, dict) for p in result):
        packages = result
    else:
        raise SourceProtocolError("CKAN response holds no package (not package_search/show)")
    items = [harvest_package(p, source_id, languages, portal_url) for p in packages]
    return CkanDocument(items, count)


def ckan_error(body: str | bytes | None) -> str | None:
    """CKAN's reason from an error body (`{"success": false, "error": {...}}`, sent with
    HTTP 400/403/404/409 by most versions), or None when the body is not one."""
    if not body:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if isinstance(parsed, dict) and parsed.get("success") is False:
        return _error_text(parsed.get("error"))
    return None


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        parts = [str(error.get("message") or "")]
        parts += [
            f"{key}: {value}" for key, value in error.items() if key not in ("message", "__type")
        ]
        kind = error.get("__type")
        text = "; ".join(p for p in parts if p)
        return f"{kind}: {text}" if kind else text or "no reason given"
    return str(error) if error else "no reason given"


def harvest_package(
    package: dict[str, Any],
    source_id: str,
    languages: tuple[str, ...] = ("fr", "en"),
    portal_url: str | None = None,
) -> Harvested:
    raw = json.dumps(package, ensure_ascii=False, sort_keys=True).encode("utf-8")
    original_id = text_of(package.get("id")) or text_of(package.get("name"))
    if original_id is None:
        return Harvested(
            original_id=None,
            raw=raw,
            content_type=JSON_CONTENT_TYPE,
            error="package without id or name",
        )
    try:
        record = record_from_package(package, source_id, original_id, languages, portal_url)
    except (ValidationError, ValueError) as exc:
        reason = " ".join(str(exc).splitlines()[:3])
        return Harvested(
            original_id=original_id,
            raw=raw,
            content_type=JSON_CONTENT_TYPE,
            error=f"unusable package {original_id}: {reason}",
        )
    return Harvested(
        original_id=original_id, raw=raw, content_type=JSON_CONTENT_TYPE, record=record
    )
