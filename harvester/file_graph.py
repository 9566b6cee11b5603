"""SharePoint / OneDrive document libraries through Microsoft Graph (the `files` source's
third remote store), over the project's HttpClient (allowed hosts, retries, 429 Retry-After,
response size cap).

- Authentication: the OAuth 2.0 client-credentials grant of an app registration (tenant,
  client id, secret from the environment) against the Microsoft identity platform token
  endpoint; the bearer token is kept for the run.
- Listing: the drive's delta query (`GET /drives/{id}/root/delta`), following
  `@odata.nextLink` until the page that carries `@odata.deltaLink`. As Microsoft documents,
  delta items carry no `parentReference.path`, so paths are rebuilt from the folder items'
  ids and names; deleted items (`deleted` facet) are left out.
- Change token: the item's `cTag` (content tag; `eTag` when absent).
- Reading: `GET /drives/{id}/items/{item-id}/content` (Graph answers with a redirect to a
  pre-authenticated download URL, followed), copied to a temporary folder under
  `max_copy_bytes`. The pre-authenticated URL is never stored or shown: a record's link is
  the item's `webUrl`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urlencode

from harvester.file_stores import Refused, StoredFile
from harvester.http import HttpClient
from moisson.errors import SourceProtocolError, UnsafeInput

__all__ = ["GraphStore"]

MAX_DELTA_PAGES = 10_000


@dataclass(frozen=True)
class _Item:
    id: str
    web_url: str | None


class GraphStore:
    """A drive (`https://graph.microsoft.com/v1.0/drives/{drive-id}`, or a site's
    `.../sites/{site-id}/drive`) seen as a file store."""

    def __init__(
        self,
        drive_url: str,
        http: HttpClient,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        max_copy_bytes: int,
    ) -> None:
        self.drive_url = drive_url.rstrip("/").removesuffix("/root")
        self.http = http
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.max_copy_bytes = max_copy_bytes
        self._token: str | None = None
        self._items: dict[str, _Item] = {}

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            form = urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "scope": "https://graph.microsoft.com/.default",
                }
            ).encode()
            response = self.http.request(
                "POST",
                self.token_url,
                content=form,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            token = _json(response.body, self.token_url).get("access_token")
            if not isinstance(token, str) or not token:
                raise SourceProtocolError(f"{self.token_url}: no access_token in the answer")
            self._token = token
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def url_of(self, path: str) -> str:
        item = self._items.get(path)
        if item is not None and item.web_url:
            return item.web_url
        return f"{self.drive_url}/root:/{path}"

    def listing(self) -> Iterator[StoredFile | Refused]:
        folders: dict[str, tuple[str, str | None]] = {}  # id -> (name, parent id)
        roots: set[str] = set()
        files: list[dict[str, Any]] = []
        url: str | None = f"{self.drive_url}/root/delta"
        seen_links: set[str] = set()
        for _ in range(MAX_DELTA_PAGES):
            if url is None:
                break
            seen_links.add(url)
            page = _json(self.http.request("GET", url, headers=self._headers()).body, url)
            for item in page.get("value", []):
                if not isinstance(item, dict) or "deleted" in item or "id" not in item:
                    continue
                parent = (item.get("parentReference") or {}).get("id")
                if "root" in item:
                    roots.add(str(item["id"]))
                elif "folder" in item:
                    folders[str(item["id"])] = (str(item.get("name", "")), parent)
                elif "file" in item:
                    files.append(item)
            next_link = page.get("@odata.nextLink")
            # The page with @odata.deltaLink (and no nextLink) ends the enumeration.
            url = None if next_link is None or next_link in seen_links else str(next_link)
        for item in files:
            path = _path(item, folders, roots)
            if path is None:
                yield Refused(str(item.get("name", item["id"])), "parent folder not in the delta")
                continue
            self._items[path] = _Item(str(item["id"]), item.get("webUrl"))
            tag = item.get("cTag") or item.get("eTag") or ""
            modified = _date(item.get("lastModifiedDateTime"))
            owner = ((item.get("lastModifiedBy") or {}).get("user") or {}).get("displayName")
            yield StoredFile(path, int(item.get("size") or 0), modified, str(tag), owner)

    def _content(self, path: str) -> bytes:
        item = self._items[path]
        url = f"{self.drive_url}/items/{item.id}/content"
        return self.http.request("GET", url, headers=self._headers()).body

    def read_bytes(self, path: str, limit: int) -> bytes | None:
        try:
            data = self._content(path)
        except (KeyError, UnsafeInput, SourceProtocolError):
            return None
        return data if len(data) <= limit else None

    @contextmanager
    def materialised(
        self, file: StoredFile, group: list[StoredFile]
    ) -> Iterator[tuple[str, Callable[..., IO[bytes]] | None]]:
        total = sum(f.size for f in group)
        if total > self.max_copy_bytes:
            raise UnsafeInput(
                f"{total} bytes to copy from the drive; larger than max_copy_bytes "
                f"({self.max_copy_bytes})"
            )
        folder = Path(tempfile.mkdtemp(prefix="moisson-graph-"))
        try:
            for member in group:
                (folder / PurePosixPath(member.path).name).write_bytes(self._content(member.path))
            yield str(folder / PurePosixPath(file.path).name), None
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _path(
    item: dict[str, Any], folders: dict[str, tuple[str, str | None]], roots: set[str]
) -> str | None:
    """The item's path below the drive root, from its parents' ids (delta has no paths)."""
    parts = [str(item.get("name", ""))]
    parent = (item.get("parentReference") or {}).get("id")
    for _ in range(1000):
        if parent in roots:
            return "/".join(reversed(parts))
        if parent not in folders:
            return None
        name, parent = folders[parent]
        parts.append(name)
    return None


def _json(body: bytes, url: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise SourceProtocolError(f"{url}: not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SourceProtocolError(f"{url}: not a JSON object")
    return data


def _date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
