"""A small OGC API - Records `/items` endpoint for fault-injection tests, served by
ReplayServer on 127.0.0.1: real HTTP and GeoJSON, paging by `offset` / `limit` through
`rel=next` links, faults scripted per offset."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from testkit.http_replay import Reply, Request

GEOJSON = "application/geo+json"


def feature(record_id: str) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": record_id,
        "geometry": None,
        "properties": {
            "type": "dataset",
            "title": f"Jeu de données {record_id}",
            "description": f"Résumé de {record_id}",
            "updated": "2024-01-01T00:00:00Z",
        },
        "links": [],
    }


@dataclass
class RecordsCatalogue:
    ids: list[str]
    faults: dict[int, list[Reply]] = field(default_factory=dict)
    starts: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, offset: int, replies: list[Reply]) -> None:
        with self._lock:
            self.faults.setdefault(offset, []).extend(replies)

    def __call__(self, request: Request) -> Reply:
        offset = int(request.query.get("offset", ["0"])[0])
        limit = int(request.query.get("limit", ["10"])[0])
        with self._lock:
            self.starts.append(offset)
            scripted = self.faults.get(offset)
            if scripted:
                return scripted.pop(0)
            ids = list(self.ids)
        page = ids[offset : offset + limit]
        links = []
        if offset + limit < len(ids):
            href = f"{request.path}?offset={offset + limit}&limit={limit}&f=json"
            links.append({"rel": "next", "type": GEOJSON, "href": href})
        body = {
            "type": "FeatureCollection",
            "features": [feature(i) for i in page],
            "numberMatched": len(ids),
            "numberReturned": len(page),
            "links": links,
        }
        return Reply(json.dumps(body).encode(), content_type=GEOJSON)
