"""The datahub's requests on the GN4 facade, next to the same search on Moisson's JSON API.

    .venv/bin/python -m bench.bench_gn4 10000 [--opensearch URL]

Generates N records (bench.generate, parsed by the real ISO reader, themed), stores them in
SQLite and indexes them in the embedded index (and, with --opensearch, in a throw-away
OpenSearch alias), then replays in-process (Flask test client, no HTTP) the recorded
datahub bodies of ../shared/fixtures/datahub/requests: the search page (10: sort by
resource dates, 10 hits), a full-text search (11, q=eau), the five facet requests of the
search page (04 format, 05 year, 06 topic, 07 isSpatial, 08 license) and the start-up
organisation aggregation (02). Prints p50/p95 per request and, as the peer measured in the
same run, `GET /api/search?q=eau&size=10` (Moisson's own API: the facade's overhead).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from bench.bench_backends import records, store_corpus
from indexer.themes import load_themer
from moisson.config import Settings
from pipeline.runtime import Runtime
from search_api.app import create_app

REQUESTS = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "datahub" / "requests"
)
CASES = ["10", "11", "04", "05", "06", "07", "08", "02"]
RUNS = 100
SEARCH = "/geonetwork/srv/api/search/records/_search"


def _body(prefix: str) -> dict[str, Any]:
    path = next(REQUESTS.glob(f"{prefix}-*.json"))
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["request"]["body"]
    return body


def _load(folder: Path, n: int, index_urls: list[str]) -> None:
    themer = load_themer(Settings().themes)
    corpus = [themer.themed(r) for r in records(n)[:n]]
    store_corpus(f"sqlite:///{folder / 'store.db'}", index_urls, corpus)


def _percentiles(latencies: list[float]) -> str:
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    return f"p50 {statistics.median(latencies):6.1f} ms, p95 {p95:6.1f} ms"


def _measure(folder: Path, index_url: str, label: str) -> None:
    settings = Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{folder / 'store.db'}"},
            "index": {"url": index_url},
            "api": {"anonymous_rate_limit": 0},
        }
    )
    with Runtime(settings) as runtime:
        client = create_app(runtime).test_client()
        headers = {"Accept-Language": "en"}
        bodies = {prefix: _body(prefix) for prefix in CASES}
        for prefix in CASES:  # warm caches once
            client.post(SEARCH, json=bodies[prefix], headers=headers)
        print(f"{label}:")
        for prefix in CASES:
            latencies = []
            for _ in range(RUNS):
                began = time.perf_counter()
                response = client.post(SEARCH, json=bodies[prefix], headers=headers)
                latencies.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, response.get_data(as_text=True)[:300]
            total = response.get_json()["hits"]["total"]["value"]
            print(f"  {prefix}: {_percentiles(latencies)}  ({total} hits)")
        latencies = []
        for _ in range(RUNS):
            began = time.perf_counter()
            client.get("/api/search", query_string={"q": "eau", "size": "10"})
            latencies.append((time.perf_counter() - began) * 1000)
        print(f"  peer GET /api/search?q=eau: {_percentiles(latencies)}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--opensearch", help="base URL of an OpenSearch node")
    parser.add_argument(
        "--dir", type=Path, help="keep the SQLite store and index here; reused when present"
    )
    parser.add_argument("--load-only", action="store_true", help="load, do not measure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        folder = args.dir or Path(name)
        folder.mkdir(parents=True, exist_ok=True)
        urls = {"sqlite": f"sqlite:///{folder / 'index.db'}"}
        if args.opensearch:
            urls["opensearch"] = f"{args.opensearch.rstrip('/')}/bench-gn4-{int(time.time())}"
        if not (folder / "store.db").exists() or args.opensearch:
            began = time.perf_counter()
            _load(folder, args.n, list(urls.values()))
            print(f"{args.n} records loaded in {time.perf_counter() - began:.0f} s")
        if args.load_only:
            return 0
        try:
            for label, url in urls.items():
                _measure(folder, url, f"{args.n} records, {label}")
        finally:
            if args.opensearch:  # drop the throw-away alias's indexes
                base, _, alias = urls["opensearch"].rpartition("/")
                node = OpenSearch(hosts=[base])
                node.indices.delete(index=f"{alias}-*", params={"ignore_unavailable": "true"})
                node.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
