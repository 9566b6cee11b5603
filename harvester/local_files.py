"""`file:` sources: one saved document, or a folder of them, read in name order.

Every source kind accepts a `file:` URL (the demo and offline imports use them). Kinds
differ only in which files count and how one file is read, so listing the files and turning
a file that cannot be read or parsed into a quarantine entry live here once. Whether local
files may be harvested at all is decided before (harvester/url_policy.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from moisson.errors import SourceError, SourceUnavailable
from moisson.record import Harvested

__all__ = ["file_error", "local_files", "read_file_items", "suffix_in"]

# A quarantined file keeps at most this much of its payload: enough to see what it was.
QUARANTINED_RAW_BYTES = 1_000_000


def local_files(url: str, source_id: str, wanted: Callable[[Path], bool]) -> list[Path]:
    """The file `url` names, or the `wanted` files anywhere below the folder it names."""
    path = Path(unquote(urlparse(url).path))
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and wanted(p))
    if path.is_file():
        return [path]
    raise SourceUnavailable(f"{path} does not exist (source {source_id})")


def suffix_in(*suffixes: str) -> Callable[[Path], bool]:
    """A `wanted` test on the file name's extension, case-insensitive."""
    accepted = {s.lower() for s in suffixes}
    return lambda path: path.suffix.lower() in accepted


def read_file_items(file: Path, read: Callable[[bytes], list[Harvested]]) -> list[Harvested]:
    """The items `read` finds in one file. A file that cannot be read or parsed (unsafe
    input included: the parsers raise SourceError children) becomes one quarantine entry
    naming it, and the folder goes on with the next file."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        return [file_error(file, b"", f"cannot read: {exc}")]
    try:
        return read(data)
    except SourceError as exc:
        return [file_error(file, data, exc.message)]


def file_error(file: Path, raw: bytes, reason: str) -> Harvested:
    return Harvested(
        original_id=None, raw=raw[:QUARANTINED_RAW_BYTES], error=f"{file.name}: {reason}"
    )
