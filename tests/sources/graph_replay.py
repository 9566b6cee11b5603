"""A loopback replay of Microsoft Graph for SharePoint / OneDrive drives. NOT a real server:
Microsoft Graph cannot run here, so this answers the requests the `files` source sends with
responses shaped as Microsoft's documentation shows them:

- token: the identity platform's client-credentials answer (`token_type`, `expires_in`,
  `access_token`) for `POST /{tenant}/oauth2/v2.0/token`;
- `GET /v1.0/drives/{drive-id}/root/delta`: driveItem resources (`id`, `name`, `size`,
  `eTag`, `cTag`, `lastModifiedDateTime`, `webUrl`, `parentReference` with `driveId`,
  `driveType` and `id` but, as documented for delta, no `path`; `file` / `folder` / `root`
  facets; `deleted` for removed items) in pages linked by `@odata.nextLink`, the last one
  carrying `@odata.deltaLink`;
- throttling: the first request for the second delta page answers 429 with `Retry-After`
  and the documented error body (`activityLimitReached`);
- `GET /v1.0/drives/{drive-id}/items/{item-id}/content`: 302 to a pre-authenticated
  download URL (a `tempauth` token in its query), which serves the bytes.

Requests to /v1.0 without the bearer token get 401 `InvalidAuthenticationToken`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from testkit.http_replay import Reply, Request

__all__ = ["DRIVE", "TOKEN", "GraphDrive"]

DRIVE = "b!t18F8ybsHUq1z3LTz8xvZqP8zaSWjkFNhsME-Fepo75dTf9vQKfeRblBZjoSQrd7"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.replay"
TEMPAUTH = "tempauth-v1.replay-secret"
SITE = "https://contoso.sharepoint.com/sites/SIG/Documents%20partages"


@dataclass
class GraphDrive:
    """The drive's files (path -> bytes), served as Graph would."""

    files: dict[str, bytes]
    base: str = ""  # the replay server's URL, set once it listens
    throttled: bool = False
    content_requests: list[str] = field(default_factory=list)

    @classmethod
    def from_folder(cls, folder: Path) -> GraphDrive:
        files = {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }
        return cls(files)

    def _id(self, path: str) -> str:
        return "01" + hashlib.sha1(path.encode()).hexdigest()[:32].upper()

    def items(self) -> list[dict[str, Any]]:
        parent_ref = {"driveId": DRIVE, "driveType": "documentLibrary"}
        root_id = self._id("")
        found: list[dict[str, Any]] = [
            {
                "id": root_id,
                "name": "root",
                "root": {},
                "folder": {"childCount": 0},
                "parentReference": parent_ref,
                "webUrl": SITE,
            }
        ]
        folders = sorted({str(Path(p).parent) for p in self.files} - {"."})
        every = sorted(set(folders) | {str(p) for f in folders for p in Path(f).parents} - {"."})
        for folder in every:
            parent = str(Path(folder).parent)
            found.append(
                {
                    "id": self._id(folder),
                    "name": Path(folder).name,
                    "folder": {"childCount": 1},
                    "parentReference": {
                        **parent_ref,
                        "id": self._id("" if parent == "." else parent),
                    },
                    "webUrl": f"{SITE}/{folder}",
                }
            )
        for path, data in self.files.items():
            version = hashlib.sha1(data).hexdigest()[:8]
            parent = str(Path(path).parent)
            found.append(
                {
                    "id": self._id(path),
                    "name": Path(path).name,
                    "size": len(data),
                    "eTag": f'"{{{self._id(path)[2:10]}}},{version}"',
                    "cTag": f'"c:{{{self._id(path)[2:10]}}},{version}"',
                    "createdDateTime": "2024-03-01T08:00:00Z",
                    "lastModifiedDateTime": datetime(2025, 1, 15, 9, 30, tzinfo=UTC)
                    .isoformat()
                    .replace("+00:00", "Z"),
                    "lastModifiedBy": {"user": {"displayName": "Camille Martin"}},
                    "webUrl": f"{SITE}/{path}",
                    "file": {"mimeType": "application/octet-stream"},
                    "parentReference": {
                        **parent_ref,
                        "id": self._id("" if parent == "." else parent),
                    },
                }
            )
        found.append(  # a removed file, as delta reports it
            {"id": "01DELETEDITEM", "deleted": {"state": "deleted"}, "parentReference": parent_ref}
        )
        return found

    def __call__(self, request: Request) -> Reply:
        path = request.path
        if request.method == "POST" and path.endswith("/oauth2/v2.0/token"):
            body = {"token_type": "Bearer", "expires_in": 3599, "access_token": TOKEN}
            return _json(body)
        if path.startswith("/download/"):
            if request.query.get("tempauth") != [TEMPAUTH]:
                return _json({"error": {"code": "unauthenticated"}}, 401)
            wanted = path.removeprefix("/download/")
            by_id = {self._id(p): p for p in self.files}
            self.content_requests.append(by_id[wanted])
            return Reply(self.files[by_id[wanted]], content_type="application/octet-stream")
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            error = {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}
            return _json({"error": error}, 401)
        drive = f"/v1.0/drives/{DRIVE}"
        if path == f"{drive}/root/delta":
            items = self.items()
            half = len(items) // 2
            if request.query.get("token") != ["page2"]:
                page = {
                    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata"
                    "#Collection(driveItem)",
                    "value": items[:half],
                    "@odata.nextLink": f"{self.base}{drive}/root/delta?token=page2",
                }
                return _json(page)
            if not self.throttled:
                self.throttled = True
                error = {
                    "code": "activityLimitReached",
                    "message": "The app or user has been throttled.",
                    "innerError": {"code": "throttledRequest"},
                }
                return _json({"error": error}, 429, {"Retry-After": "1"})
            page = {
                "value": items[half:],
                "@odata.deltaLink": f"{self.base}{drive}/root/delta?token=latest",
            }
            return _json(page)
        if path.startswith(f"{drive}/items/") and path.endswith("/content"):
            item_id = path.split("/")[-2]
            location = f"{self.base}/download/{item_id}?tempauth={TEMPAUTH}"
            return Reply(b"", status=302, content_type="text/plain", headers={"Location": location})
        return _json({"error": {"code": "itemNotFound", "message": path}}, 404)


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        json.dumps(body).encode(),
        status=status,
        content_type="application/json",
        headers=headers or {},
    )
