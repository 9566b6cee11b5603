"""Where a `files` source's files live: listing them safely, and handing GDAL a path.

`LocalStore` serves `file:` URLs (local folders and mounted shares). The walk never leaves
the configured root and never loops: a symbolic link is followed only when its target is
inside the root, each real folder is entered once (a link back to a parent is reported as a
loop), and a file the account cannot read is reported, not raised. Everything the walk
refuses comes out as a `Refused` with its reason, so the source can quarantine it and go on.
"""

from __future__ import annotations

import os
import pwd
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlparse

from moisson.errors import SourceUnavailable

__all__ = ["LocalStore", "Refused", "StoredFile"]


@dataclass(frozen=True)
class StoredFile:
    """One file as the store lists it. `token` changes when the file changes (size and
    modification time here; the ETag on object stores)."""

    path: str  # relative to the root, '/'-separated
    size: int
    modified: datetime | None
    token: str
    owner: str | None = None


@dataclass(frozen=True)
class Refused:
    path: str
    reason: str


class LocalStore:
    """A folder on this machine (or a share mounted on it), read-only."""

    def __init__(self, url: str) -> None:
        self.root = Path(unquote(urlparse(url).path))

    def url_of(self, path: str) -> str:
        return (self.root / path).as_uri() if path else self.root.as_uri()

    def local_path(self, path: str) -> str:
        """A path GDAL can open (the file itself: nothing is copied)."""
        return str(self.root / path)

    @contextmanager
    def materialised(
        self, file: StoredFile, group: list[StoredFile]
    ) -> Iterator[tuple[str, Callable[..., IO[bytes]] | None]]:
        """(the path GDAL opens, no opener): a local file is read where it is."""
        yield self.local_path(file.path), None

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        """A small file's bytes (a sidecar), or None when larger than `limit` or unreadable."""
        try:
            with open(self.root / path, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError:
            return None
        return data if len(data) <= limit else None

    def listing(self) -> Iterator[StoredFile | Refused]:
        """Every file below the root, in path order folder by folder."""
        if not self.root.is_dir():
            raise SourceUnavailable(f"{self.root} is not a folder (or not mounted)")
        real_root = self.root.resolve()
        seen: set[Path] = {real_root}
        stack: list[Path] = [self.root]
        while stack:
            folder = stack.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
            except OSError as exc:
                yield Refused(self._relative(folder), f"cannot list: {exc.strerror or exc}")
                continue
            files: list[os.DirEntry[str]] = []
            for entry in entries:
                relative = self._relative(Path(entry.path))
                target = Path(entry.path).resolve() if entry.is_symlink() else None
                if target is not None and not target.is_relative_to(real_root):
                    yield Refused(relative, "symbolic link to a path outside the root")
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=True)
                except OSError as exc:
                    yield Refused(relative, f"cannot read: {exc.strerror or exc}")
                    continue
                if is_dir:
                    real = Path(entry.path).resolve()
                    if real in seen:
                        yield Refused(relative, "symbolic link loop (folder already walked)")
                        continue
                    seen.add(real)
                    stack.append(Path(entry.path))
                else:
                    files.append(entry)
            for entry in reversed(files):
                yield self._file(entry)

    def _file(self, entry: os.DirEntry[str]) -> StoredFile | Refused:
        relative = self._relative(Path(entry.path))
        try:
            info = entry.stat(follow_symlinks=True)
        except OSError as exc:
            return Refused(relative, f"cannot read: {exc.strerror or exc}")
        if not stat.S_ISREG(info.st_mode):
            return Refused(relative, "not a regular file")
        if not os.access(entry.path, os.R_OK):
            return Refused(relative, "permission denied: the harvesting account cannot read it")
        try:
            owner: str | None = pwd.getpwuid(info.st_uid).pw_name
        except KeyError:
            owner = None
        return StoredFile(
            path=relative,
            size=info.st_size,
            modified=datetime.fromtimestamp(info.st_mtime, UTC),
            token=f"{info.st_size}-{info.st_mtime_ns}",
            owner=owner,
        )

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path != self.root else ""
