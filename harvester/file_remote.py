"""Remote file stores through fsspec: SMB shares (`smb://`, smbprotocol) and Azure Blob
containers (`az://`, adlfs). The fsspec adapter: its errors are converted here.

GDAL cannot open these URLs itself, so a data file is handed to it in one of two bounded
ways (`materialised`):

- a raster is opened through rasterio's `opener`: GDAL asks for byte ranges and only the
  header, tags and one block cross the network (a 10 GB COG costs a few KiB);
- a vector set (a GeoPackage, a Shapefile and its companions) is copied in 1 MiB chunks to
  a temporary folder, refused above `max_copy_bytes`, deleted after reading.

Credentials come from environment variables named in the source's options and are never
part of a URL shown to users.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urlsplit

import fsspec

from harvester.file_readers import RASTER_SUFFIXES
from harvester.file_stores import Refused, StoredFile
from moisson.errors import SourceUnavailable, UnsafeInput

__all__ = ["RemoteStore"]

logger = logging.getLogger(__name__)

CHUNK = 1 << 20
Opener = Callable[..., IO[bytes]]


class RemoteStore:
    """An fsspec file system rooted at the source URL's folder."""

    def __init__(
        self, url: str, fs: Any, root: str, public_base: str, *, max_copy_bytes: int
    ) -> None:
        self.url = url
        self.fs = fs
        self.root = root.rstrip("/")
        self.public_base = public_base  # no trailing slash: paths start with one
        self.max_copy_bytes = max_copy_bytes

    @classmethod
    def smb(
        cls, url: str, username: str | None, password: str | None, *, max_copy_bytes: int
    ) -> RemoteStore:
        """`smb://host[:port]/share/folder`."""
        parts = urlsplit(url)
        try:
            fs = fsspec.filesystem(
                "smb",
                host=parts.hostname,
                port=parts.port or 445,
                username=username,
                password=password,
                skip_instance_cache=True,
                timeout=10,
            )
        except Exception as exc:  # smbprotocol's own connection and logon errors
            raise SourceUnavailable(
                f"cannot connect to smb://{parts.hostname}: {type(exc).__name__}: {exc}"
            ) from exc
        public = f"smb://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
        return cls(url, fs, parts.path or "/", public, max_copy_bytes=max_copy_bytes)

    @classmethod
    def azure(
        cls,
        url: str,
        *,
        account_name: str | None,
        account_key: str | None,
        sas_token: str | None,
        connection_string: str | None,
        max_copy_bytes: int,
    ) -> RemoteStore:
        """`az://container/folder`."""
        parts = urlsplit(url)
        options: dict[str, Any] = {"skip_instance_cache": True}
        if connection_string:
            options["connection_string"] = connection_string
        else:
            options.update(account_name=account_name, account_key=account_key, sas_token=sas_token)
        try:
            fs = fsspec.filesystem("az", **options)
        except Exception as exc:  # adlfs / azure-storage-blob configuration errors
            raise SourceUnavailable(f"cannot open {url}: {type(exc).__name__}: {exc}") from exc
        root = f"/{parts.hostname}{parts.path}"
        public = f"https://{account_name}.blob.core.windows.net" if account_name else "az:/"
        return cls(url, fs, root, public, max_copy_bytes=max_copy_bytes)

    def url_of(self, path: str) -> str:
        full = f"{self.root}/{path}" if path else self.root
        return f"{self.public_base}{full}"

    def _full(self, path: str) -> str:
        return f"{self.root}/{path}"

    def listing(self) -> Iterator[StoredFile | Refused]:
        try:
            found = self.fs.find(self.root, detail=True)
        except (OSError, ValueError) as exc:
            raise SourceUnavailable(f"cannot list {self.url}: {exc}") from exc
        except Exception as exc:  # smbprotocol / azure raise their own types
            raise SourceUnavailable(f"cannot list {self.url}: {type(exc).__name__}: {exc}") from exc
        prefix = self.root.lstrip("/") + "/"
        for name in sorted(found):
            info = found[name]
            if info.get("type") != "file":
                continue
            relative = name.lstrip("/")
            if not relative.startswith(prefix):
                yield Refused(relative, "outside the root")
                continue
            relative = relative[len(prefix) :]
            size = int(info.get("size") or 0)
            modified = _modified(info)
            etag = info.get("etag")
            token = str(etag) if etag else f"{size}-{modified.isoformat() if modified else ''}"
            yield StoredFile(relative, size, modified, token.strip('"'), None)

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        try:
            with self.fs.open(self._full(path), "rb") as handle:
                data: bytes = handle.read(limit + 1)
        except Exception as exc:  # any store error: the sidecar is simply ignored
            logger.info("cannot read sidecar %s: %s", path, exc)
            return None
        return data if len(data) <= limit else None

    @contextmanager
    def materialised(
        self, file: StoredFile, group: list[StoredFile]
    ) -> Iterator[tuple[str, Opener | None]]:
        """(what GDAL opens, the rasterio opener or None) for one data file and its set."""
        suffix = PurePosixPath(file.path).suffix.lower()
        if suffix in RASTER_SUFFIXES:

            def opener(path: str, mode: str = "rb") -> IO[bytes]:
                handle: IO[bytes] = self.fs.open("/" + path.lstrip("/"), mode)
                return handle

            yield self._full(file.path), opener
            return
        total = sum(f.size for f in group)
        if total > self.max_copy_bytes:
            raise UnsafeInput(
                f"{total} bytes to copy from the store; larger than max_copy_bytes "
                f"({self.max_copy_bytes})"
            )
        folder = Path(tempfile.mkdtemp(prefix="moisson-files-"))
        try:
            for member in group:
                target = folder / PurePosixPath(member.path).name
                try:
                    with (
                        self.fs.open(self._full(member.path), "rb") as source,
                        open(target, "wb") as sink,
                    ):
                        shutil.copyfileobj(source, sink, CHUNK)
                except Exception as exc:
                    raise UnsafeInput(f"cannot read {member.path}: {exc}") from exc
            yield str(folder / PurePosixPath(file.path).name), None
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _modified(info: dict[str, Any]) -> datetime | None:
    value = info.get("mtime") or info.get("last_modified")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None
