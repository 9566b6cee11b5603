"""A small CKAN Action API (package_search) for fault-injection tests, served by ReplayServer on
127.0.0.1: real HTTP and JSON, paging by `start` / `rows`, faults scripted per `start`, a
lying `count`, packages the parser must quarantine (no title)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from testkit.http_replay import Reply, Request


def package(package_id: str, title: str | None = None) -> dict[str, Any]:
    return {
        "id": package_id,
        "name": package_id,
        "title": title if title is not None else f"Jeu de données {package_id}",
        "notes": f"Résumé de {package_id}",
        "metadata_modified": "2024-01-01T00:00:00",
        "resources": [],
    }


@dataclass
class CkanCatalogue:
    ids: list[str]
    faults: dict[int, list[Reply]] = field(default_factory=dict)
    declared: int | None = None
    invalid: set[str] = field(default_factory=set)
    starts: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, start: int, replies: list[Reply]) -> None:
        with self._lock:
            self.faults.setdefault(start, []).extend(replies)

    def __call__(self, request: Request) -> Reply:
        start = int(request.query.get("start", ["0"])[0])
        rows = int(request.query.get("rows", ["10"])[0])
        with self._lock:
            self.starts.append(start)
            scripted = self.faults.get(start)
            if scripted:
                return scripted.pop(0)
            ids = list(self.ids)
        page = [
            {**package(i), "name": "", "title": ""} if i in self.invalid else package(i)
            for i in ids[start : start + rows]
        ]
        count = len(ids) if self.declared is None else self.declared
        body = {"success": True, "result": {"count": count, "results": page}}
        return Reply(json.dumps(body).encode(), content_type="application/json")
