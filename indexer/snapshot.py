"""A compact, shareable snapshot of what the theme matcher reads (`moisson store snapshot`),
so a forge CI job can compute a thesaurus change's impact without the store.

Format: gzip-compressed JSON Lines. The first line is a header
`{"moisson_snapshot": 1, "created": ..., "records": N, "restricted_included": false}`;
each further line is one record with only the matcher's inputs: `id`, `original_id`,
`source`, `title`, `abstract`, `language`, `keywords` (label, uri, thesaurus,
thesaurus_uri) and `topic_categories`. No raw payload, contact, link or extent.

Records a caller without roles may not see (a source that is not public, or no longer
configured) are left out unless `include_restricted` is asked for: a snapshot is meant to
be published next to the thesaurus repository, and titles of restricted records must not
leak into merge-request comments.

Written to a temporary file and renamed, so a reader never sees half a snapshot. A bad
snapshot is a ConfigError naming the line, never a traceback.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from indexer.access import AccessPolicy
from moisson.errors import ConfigError
from moisson.record import PUBLIC, Keyword, Provenance, Record

__all__ = ["FORMAT_VERSION", "SnapshotInfo", "read_snapshot", "snapshot_header", "write_snapshot"]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
_MAX_LINE = 4 << 20  # characters: a record with a very long abstract stays far below


@dataclass
class SnapshotInfo:
    path: Path
    written: int
    left_out: int  # restricted records not written
    bytes: int


def _line(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "original_id": record.provenance.original_id,
        "source": record.provenance.source_id,
        "title": record.title,
        "abstract": record.abstract,
        "language": record.language,
        "keywords": [k.model_dump(exclude_none=True) for k in record.keywords],
        "topic_categories": list(record.topic_categories),
    }


def _restricted(record: Record, policy: AccessPolicy | None) -> bool:
    access = policy.access(record.provenance.source_id) if policy is not None else record.access
    return PUBLIC not in access


def write_snapshot(
    records: Iterable[Record],
    path: Path,
    *,
    created: datetime,
    policy: AccessPolicy | None = None,
    include_restricted: bool = False,
) -> SnapshotInfo:
    """Write the snapshot of `records` to `path`. `policy` (the live source config) decides
    what is restricted; without it, each record's stored `access` does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    written = left_out = 0
    # The header counts the records, so they are spooled (to disk past 8 MiB) first.
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as body:
        for record in records:
            if not include_restricted and _restricted(record, policy):
                left_out += 1
                continue
            body.write(json.dumps(_line(record), ensure_ascii=False).encode() + b"\n")
            written += 1
        header = {
            "moisson_snapshot": FORMAT_VERSION,
            "created": created.isoformat(timespec="seconds"),
            "records": written,
            "restricted_included": include_restricted,
        }
        body.seek(0)
        with open(partial, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            out.write(json.dumps(header).encode() + b"\n")
            shutil.copyfileobj(body, out)
    os.replace(partial, path)
    logger.info("snapshot %s: %d records (%d restricted left out)", path, written, left_out)
    return SnapshotInfo(path, written, left_out, path.stat().st_size)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines; a line longer than any record can be (a damaged or hostile file)
    is refused rather than read whole into memory."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            number = 0
            while text := lines.readline(_MAX_LINE + 1):
                number += 1
                if len(text) > _MAX_LINE:
                    raise ConfigError(f"{path}:{number}: line longer than {_MAX_LINE} characters")
                yield number, text
    except FileNotFoundError as exc:
        raise ConfigError(f"snapshot not found: {path}") from exc
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: not a Moisson snapshot (gzip JSON Lines): {exc}", detail=repr(exc)
        ) from exc


def snapshot_header(path: Path) -> dict[str, Any]:
    """The header line of the snapshot at `path`, checked."""
    for number, text in _lines(path):
        return _header(path, number, text)
    raise ConfigError(f"{path}: empty snapshot")


def _header(path: Path, number: int, text: str) -> dict[str, Any]:
    try:
        header = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path}:{number}: snapshot header is not JSON") from exc
    if not isinstance(header, dict) or header.get("moisson_snapshot") != FORMAT_VERSION:
        raise ConfigError(
            f"{path}:{number}: not a Moisson snapshot of format {FORMAT_VERSION} "
            "(write a new one with `moisson store snapshot`)"
        )
    return header


def read_snapshot(path: Path) -> Iterator[Record]:
    """The records of a snapshot, as Records the matcher accepts, in the order written."""
    for number, text in _lines(path):
        if number == 1:
            _header(path, number, text)
            continue
        try:
            item = json.loads(text)
            yield Record(
                id=item["id"],
                provenance=Provenance(source_id=item["source"], original_id=item["original_id"]),
                title=item["title"],
                abstract=item.get("abstract"),
                language=item.get("language"),
                keywords=[Keyword(**k) for k in item.get("keywords", [])],
                topic_categories=item.get("topic_categories", []),
            )
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise ConfigError(f"{path}:{number}: bad snapshot record: {exc}") from exc
