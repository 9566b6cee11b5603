"""What record-level access costs a search: the same queries as admin (no access filter),
anonymous (public records only) and a role-A user, on one generated corpus.

    .venv/bin/python -m bench.bench_access 10000 [--opensearch http://127.0.0.1:9200]

60% of the records are public, 30% restricted to ROLE_A, 10% to ROLE_B. Each caller runs
SEARCHES searches cycling over bench_backends.QUERIES (text query, all facets counted, 20 hits
with snippets) and the script prints p50/p95 in ms and the ratio to the unfiltered search.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.bench_backends import QUERIES, SEARCHES, records
from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from moisson.record import PUBLIC, Query, Record

CALLERS: dict[str, list[str] | None] = {"admin": None, "anonymous": [], "role A": ["ROLE_A"]}


def restricted(corpus: list[Record]) -> list[Record]:
    out = []
    for n, record in enumerate(corpus):
        share = n % 10
        access = [PUBLIC] if share < 6 else ["ROLE_A"] if share < 9 else ["ROLE_B"]
        out.append(record.model_copy(update={"access": access}))
    return out


def latencies(backend: SearchBackend, roles: list[str] | None) -> list[float]:
    for q in QUERIES:
        backend.search(Query(q=q, roles=roles))
    found = []
    for n in range(SEARCHES):
        query = Query(q=QUERIES[n % len(QUERIES)], roles=roles)
        began = time.perf_counter()
        backend.search(query)
        found.append((time.perf_counter() - began) * 1000)
    return found


def report(name: str, backend: SearchBackend, corpus: list[Record]) -> None:
    for start in range(0, len(corpus), 1000):
        backend.index(corpus[start : start + 1000])
    base = None
    for caller, roles in CALLERS.items():
        times = latencies(backend, roles)
        p50 = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1]
        base = base or p50
        total = backend.search(Query(size=0, roles=roles)).total
        print(
            f"{name:10} {caller:10} sees {total:6d}  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  "
            f"x{p50 / base:.2f}"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--opensearch", default=os.environ.get("OPENSEARCH_TEST_URL"))
    args = parser.parse_args(argv)
    corpus = restricted(records(args.n))
    with tempfile.TemporaryDirectory() as folder:
        backend = build_backend(f"sqlite:///{Path(folder) / 'index.db'}")
        backend.open()
        try:
            report("sqlite", backend, corpus)
        finally:
            backend.close()
    if args.opensearch:
        url = f"{args.opensearch.rstrip('/')}/bench-access-{uuid.uuid4().hex[:8]}"
        backend = build_backend(url)
        backend.open()
        try:
            report("opensearch", backend, corpus)
        finally:
            backend.close()
            from bench.bench_backends import _drop

            _drop(url)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
