"""The added latency of the typo fallback (indexer/fuzzy.py via the search service).

    .venv/bin/python -m bench.bench_fuzzy 100000 [--opensearch URL]

Generates N records (bench/generate.py), bulk-loads them into the embedded index (and
OpenSearch when given), then measures through the runtime's SearchService:
- the one-off vocabulary read (every record's title and abstract through the backend,
  then the deletes index), paid on the first query with few hits after a count change;
- p50/p95 of misspelt queries through the service (exact search + correction + the
  corrected search) against the backend's exact search alone: the difference is the
  fallback's added latency;
- p50 of exact queries with hits through the service against the backend alone (the
  fallback must cost nothing there).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.bench_backends import _drop, records
from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.search_service import SearchService
from moisson.config import IndexSettings, Settings
from moisson.record import Query
from pipeline.runtime import Runtime

TYPOS = ["fret", "zones humids", "natrua 2000", "ocupation du sol", "inondaton", "bretange"]
EXACT = ["foret", "zones humides", "eau", "natura 2000", "occupation du sol"]
ROUNDS = 20


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95)] * 1000


def _times(run: Callable[[Query], object], queries: list[str]) -> list[float]:
    found = []
    for _ in range(ROUNDS):
        for q in queries:
            began = time.perf_counter()
            run(Query(q=q))
            found.append(time.perf_counter() - began)
    return found


def measure(name: str, backend: SearchBackend, service: SearchService) -> None:
    began = time.perf_counter()
    vocabulary = service.vocabulary()
    while vocabulary is None:  # a large index is read in the background: wait for it here
        time.sleep(0.5)
        vocabulary = service.vocabulary()
    cold = time.perf_counter() - began
    print(f"{name}: vocabulary of {len(vocabulary)} words read in {cold:.1f} s (one-off)")
    for q in TYPOS:
        results = service.run(Query(q=q)).results
        print(f"  {q!r} -> {results.suggestion!r} ({results.total} hits)")
    alone = _ms(_times(backend.search, TYPOS))
    served = _ms(_times(service.run, TYPOS))
    print(f"  typos, backend alone  p50 {alone[0]:.1f} ms  p95 {alone[1]:.1f} ms")
    print(f"  typos, with fallback  p50 {served[0]:.1f} ms  p95 {served[1]:.1f} ms")
    print(f"  added by the fallback p50 {served[0] - alone[0]:.1f} ms")
    alone = _ms(_times(backend.search, EXACT))
    served = _ms(_times(service.run, EXACT))
    print(f"  exact, backend alone p50 {alone[0]:.1f} ms; through the service {served[0]:.1f} ms")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--opensearch", default=os.environ.get("OPENSEARCH_TEST_URL"))
    args = parser.parse_args(argv)
    corpus = records(args.count)
    print(f"{len(corpus)} records")
    with tempfile.TemporaryDirectory() as work:
        urls = [("sqlite", f"sqlite:///{Path(work) / 'index.db'}")]
        if args.opensearch:
            urls.append(("opensearch", f"{args.opensearch}/bench-fuzzy-{uuid.uuid4().hex[:8]}"))
        for name, url in urls:
            backend = build_backend(url)
            backend.open()
            try:
                backend.reindex(corpus)
                settings = Settings(index=IndexSettings(url=url))
                measure(name, backend, Runtime(settings, backend=backend).search)
            finally:
                backend.close()
                if name == "opensearch":
                    _drop(url)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
